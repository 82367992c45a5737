# DetectorRules - the parsing rules every milter detector shares
# (spec detection.md §4), as pure functions over strings:
#
#   parse_assignments(text, variables, lower_case:, script_name:)
#       NAME=VALUE lines of a shell script or a variables file
#   expand(value, variables, script_name)   $VAR, ${VAR}, ${VAR:-default}
#   option_value(flags, option)             "-p SPEC" from a flags string
#   logical_lines(text, comment_marks)      comment lines dropped, "\" joined
#   normalize_spec(value)                   a usable connection spec or nil
#   spec_problem(value)                     why a found value is not usable
#
# Nothing here reads a file; the detectors read and call these.
require "shellwords"

module Milter
  module Manager
    module DetectorRules
      module_function

      UPPER_NAME = /[A-Z0-9_]+/
      ANY_NAME = /[A-Za-z0-9_]+/
      # "A value" after NAME=: double-quoted, single-quoted or a run of
      # non-blank characters.
      VALUE = /"(?:[^"\\]|\\.)*"|'[^']*'|[^\s;]*/

      # Returns a new Hash: variables plus the assignments of text, in
      # order (a later one overrides an earlier one). A value that is a
      # positional parameter ($1, "$2"...) leaves the variable as it was:
      # it is a function argument, unknown here.
      def parse_assignments(text, variables = {}, lower_case: false, script_name: nil)
        name_pattern = lower_case ? ANY_NAME : UPPER_NAME
        pattern = /\A\s*(?:export\s+|readonly\s+|local\s+)?(#{name_pattern})=(#{VALUE})/
        result = variables.dup
        text.each_line do |line|
          match = pattern.match(strip_comment(line))
          next unless match
          value = assignment_value(match[2], result, script_name)
          result[match[1]] = value unless value.nil?
        end
        result
      end

      # The value of one assignment's right-hand side, quotes removed and
      # references expanded (not inside single quotes, as in the shell);
      # nil for a positional parameter.
      def assignment_value(raw, variables, script_name = nil)
        return raw[1..-2] if raw.start_with?("'")
        value = raw.start_with?('"') ? raw[1..-2].gsub(/\\(.)/, '\1') : raw
        return nil if /\A\$(?:\d|\{\d\})/.match?(value)
        expand(value, variables, script_name)
      end

      # Text from a "#" that starts a word outside quotes is a comment.
      def strip_comment(line)
        quote = nil
        previous = " "
        line.each_char.with_index do |char, index|
          if quote
            quote = nil if char == quote
          elsif char == '"' || char == "'"
            quote = char
          elsif char == "#" && previous.match?(/\s/)
            return line[0, index]
          end
          previous = char
        end
        line
      end

      # $VAR, ${VAR} and ${VAR:-V} / ${VAR-V} / ${VAR:=V} / ${VAR=V}
      # replaced by known values ($name: the script's name when no
      # variable "name" is known); unknown references stay as written.
      def expand(value, variables, script_name = nil)
        value.gsub(/\$\{(\w+)(?::?[-=]([^}]*))?\}|\$(\w+)/) do |reference|
          name = Regexp.last_match(1) || Regexp.last_match(3)
          default = Regexp.last_match(2)
          known = variables[name]
          known = script_name if known.nil? && name == "name" && script_name
          if !known.nil? && !(known.empty? && reference.include?(":"))
            known
          elsif default
            expand(default, variables, script_name)
          else
            reference
          end
        end
      end

      # The words of a flags string as the shell splits them (on a quote
      # left open: split on blanks).
      def words(flags)
        Shellwords.split(flags.to_s)
      rescue ArgumentError
        flags.to_s.split
      end

      # The value given to option in flags: the word after its last
      # separate occurrence (not a "$..." reference), else the rest of
      # the first word that begins with it ("-pSPEC", "-p=SPEC",
      # "--config-file=PATH"). nil when absent.
      def option_value(flags, option)
        list = words(flags)
        index = list.rindex(option)
        if index
          value = list[index + 1]
          return nil if value.nil? || value.start_with?("$")
          return value
        end
        list.each do |word|
          next unless word.start_with?(option) && word.length > option.length
          value = word[option.length..].delete_prefix("=")
          return value unless value.empty? || value.start_with?("$")
        end
        nil
      end

      # The first of several options found in flags.
      def first_option_value(flags, *options)
        options.each do |option|
          value = option_value(flags, option)
          return value if value
        end
        nil
      end

      # The lines of a configuration file, stripped, without blank lines
      # and lines starting with one of comment_marks, a line ending in
      # "\" joined (with a blank) to the next.
      def logical_lines(text, comment_marks = ["#"])
        lines = []
        pending = nil
        text.to_s.each_line do |line|
          line = line.strip
          next if pending.nil? && line.start_with?(*comment_marks)
          line = "#{pending} #{line}" if pending
          if line.end_with?("\\")
            pending = line.chomp("\\").rstrip
          else
            lines << line unless line.empty?
            pending = nil
          end
        end
        lines << pending if pending
        lines
      end

      # Blanks stripped; a path becomes "unix:PATH"; "unix:unix:PATH" or
      # "local:unix:PATH" keep their first prefix only. nil when empty.
      def normalize_spec(value)
        return nil if value.nil?
        spec = value.to_s.strip
        return nil if spec.empty?
        spec = "unix:#{spec}" if spec.start_with?("/")
        if (match = /\A((?:unix|local):)(?:(?:unix|local):)+/i.match(spec))
          spec = match[1] + spec[match[0].length..]
        end
        spec
      end

      # nil when spec (normalized) can be used as a child's connection
      # spec; else why not. A reference left unexpanded ("$SOCKET") or a
      # placeholder such as the "inet:port@localhost" of a sample rc
      # script (the original's issue #154) is refused here, so detection
      # goes on to the next source instead of defining a broken milter.
      def spec_problem(spec)
        return "it is empty" if spec.nil?
        return "it refers to an unknown variable" if spec.include?("$")
        problem = ConnectionSpec.problem(spec)
        problem && "it is not a connection spec (#{problem})"
      end
    end
  end
end
