# RcScript - the variables of a BSD rc.d script as the shell would have
# them when it starts the service (spec detection.md §7.1):
#
#   script = RcScript.new(text, [rc_conf_text, ...])
#   script.rc_name            the name= line ("miltergreylist"), or nil
#   script["command_args"]    a script variable
#   script.rc_value("socket") the rc variable RCNAME_socket
#
# The lines are run in order: assignments (any case, $-references
# expanded), defaults written ${VAR:=V}, ${VAR=V}, ${VAR:-V} or
# ${VAR-V} (anywhere on a line) set VAR when it is unset (or empty,
# with ":"), and the load_rc_config line brings in the rc.conf files'
# assignments; so rc.conf overrides what the script sets before that
# line and its defaults after it. A script without load_rc_config gets
# the rc.conf values right after its name= line.
module Milter
  module Manager
    class RcScript
      DEFAULT = /\$\{(\w+)(:?)[-=]("[^"]*"|'[^']*'|[^}]*)\}/

      attr_reader :rc_name, :variables

      def initialize(text, rc_conf_texts)
        @rc_conf = rc_conf_texts.compact.reduce({}) do |variables, conf|
          DetectorRules.parse_assignments(conf, variables, lower_case: true)
        end
        @variables = {}
        @rc_name = nil
        run(text.to_s)
      end

      def [](name)
        @variables[name]
      end

      def rc_value(suffix, rc_name = @rc_name)
        @variables["#{rc_name}_#{suffix}"]
      end

      # rc.conf's own value of a variable (pkgsrc reads rcvar there).
      def rc_conf_value(name)
        @rc_conf[name]
      end

      private

      def run(text)
        load_at_name = !text.match?(/^\s*load_rc_config\b/)
        text.each_line do |line|
          code = DetectorRules.strip_comment(line)
          if code.match?(/\A\s*load_rc_config\b/)
            @variables.merge!(@rc_conf)
            next
          end
          apply_defaults(code)
          before = @variables["name"]
          @variables = DetectorRules.parse_assignments(code, @variables, lower_case: true)
          next if @variables["name"] == before || @rc_name
          @rc_name = @variables["name"]
          @variables.merge!(@rc_conf) if load_at_name
        end
      end

      def apply_defaults(code)
        code.scan(DEFAULT) do |name, colon, value|
          current = @variables[name]
          next unless current.nil? || (colon == ":" && current.empty?)
          value = DetectorRules.assignment_value(value, @variables)
          @variables[name] = value unless value.nil?
        end
      end
    end
  end
end
