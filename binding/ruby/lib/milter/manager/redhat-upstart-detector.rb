# RedHatUpstartDetector - a candidate started by upstart from
# /etc/event.d/NAME (spec detection.md §6.1):
#
#   description  the first block of "# " comment lines
#   enabled    a "start on ..." line
#   spec       -p in the "exec" line; clamav-milter: MilterSocket of its
#              configuration (-c in exec, else /etc/clamav-milter.conf);
#              milter-greylist: socket of greylist.conf (-f in exec, else
#              /etc/mail/greylist.conf)
#   command    /sbin/start NAME (the original gave it "NAME start" when a
#              service program existed: a command upstart does not know)
module Milter
  module Manager
    class RedHatUpstartDetector < Detector
      private

      def find_milters
        path = "/etc/event.d/#{@script_name}"
        text = read_file(path)
        return nil unless text
        lines = text.lines.map(&:chomp)
        detection = new_detection("upstart job #{path}")
        detection.description = description(lines)
        exec = lines.map { |line| line[/\A\s*exec\s+(.*)\z/, 1] }.compact.first
        clamav = own_clamav_milter_config { option(exec, "-c") || "/etc/clamav-milter.conf" }
        greylist = own_milter_greylist_config { option(exec, "-f") || "/etc/mail/greylist.conf" }
        detection.max_tarpit = greylist&.max_tarpit
        detection.connection_spec = choose_spec([
          ["-p in exec", option(exec, "-p")],
          ["MilterSocket in clamav-milter.conf", -> { clamav&.socket }],
          ["socket in greylist.conf", -> { greylist&.socket }],
        ])
        unless lines.any? { |line| /\A\s*start\s+on\s/.match?(line) }
          detection.disabled_reasons << "no \"start on\" line"
        end
        detection.disabled_reasons.concat([clamav_example_reason(clamav)].compact)
        detection.command = "/sbin/start"
        detection.command_options = @script_name
        detection
      end

      def description(lines)
        block = lines.drop_while { |line| !line.start_with?("# ") }
                     .take_while { |line| line.start_with?("# ") }
        block.empty? ? nil : block.map { |line| line[2..].strip }.join(" ")
      end
    end
  end
end
