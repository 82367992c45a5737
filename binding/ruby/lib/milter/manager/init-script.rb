# InitScript - the metadata in the leading comment of a SysV init script
# (spec detection.md §5.1, §6.2):
#
#   script = InitScript.new(text)
#   script.lsb["Description"]     the LSB block between "### BEGIN INIT
#                                 INFO" and "### END INIT INFO"
#   script.tags["description"]    chkconfig-style tags (Red Hat):
#                                 description, chkconfig, processname,
#                                 config, pidfile, probe
# A continuation line of an LSB value starts with "#" and a tab or two
# blanks; a chkconfig description continues after a trailing "\".
module Milter
  module Manager
    class InitScript
      TAGS = ["description", "chkconfig", "processname", "config", "pidfile", "probe"]

      attr_reader :lsb, :tags

      def initialize(text)
        @lsb = {}
        @tags = {}
        lines = text.to_s.lines.map(&:chomp)
        parse_lsb(lines)
        parse_tags(leading_comment(lines))
      end

      private

      def parse_lsb(lines)
        start = lines.index { |line| line.strip == "### BEGIN INIT INFO" }
        return unless start
        key = nil
        lines[(start + 1)..].each do |line|
          break if line.strip == "### END INIT INFO"
          if (match = /\A#\s?([A-Za-z][\w-]*):\s*(.*)\z/.match(line))
            key = match[1]
            @lsb[key] = match[2].strip
          elsif key && (match = /\A#(?:\t|  )\s*(.*)\z/.match(line))
            @lsb[key] = [@lsb[key], match[1].strip].reject(&:empty?).join(" ")
          end
        end
      end

      # The comment lines before the first line of code.
      def leading_comment(lines)
        lines.take_while { |line| line.strip.empty? || line.lstrip.start_with?("#") }
      end

      def parse_tags(comment)
        tag = nil
        comment.each do |line|
          body = line.sub(/\A\s*#+\s?/, "")
          if tag
            text = body.strip
            continued = text.end_with?("\\")
            @tags[tag] = [@tags[tag], text.chomp("\\").strip].reject(&:empty?).join(" ")
            tag = nil unless continued
          elsif (match = /\A\s*(#{TAGS.join('|')}):\s*(.*)\z/.match(body))
            value = match[2].strip
            @tags[match[1]] = value.chomp("\\").strip unless @tags.key?(match[1])
            tag = match[1] if value.end_with?("\\")
          end
        end
      end
    end
  end
end
