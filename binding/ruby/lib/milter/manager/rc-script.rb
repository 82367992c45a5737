# RcScript - the variables of a BSD rc.d script as the shell would have
# them when the launcher runs it as `RC_D/NAME start` (spec detection.md
# §7.1):
#
#   script = RcScript.new(text, [rc_conf_text, ...],
#                         file_test: ->(operator, path) { ... })
#   script.rc_name            the name= line ("miltergreylist"), or nil
#   script["command_args"]    a shell variable as the script leaves it
#   script.rc_value("socket") the rc variable RCNAME_socket
#   script.rc_variable("m_on") any rc variable by its full name
#
# The lines are run in order: assignments (any case, $-references
# expanded), defaults written ${VAR:=V}, ${VAR=V}, ${VAR:-V} or
# ${VAR-V} (anywhere on a line) set VAR when it is unset (or empty,
# with ":"), and the load_rc_config line brings in the rc.conf files'
# assignments; so rc.conf overrides what the script sets before that
# line and its defaults after it. A script without load_rc_config gets
# the rc.conf values right after its name= line.
#
# Two views: the shell variables (script[...]) follow every assignment;
# the rc variables (rc_value) are what rc.conf and the script's defaults
# say, so that an assignment after load_rc_config (the script rewriting
# its own setting at run time, e.g. cfgfile="-x ${cfgfile}") leaves them
# alone (a script without load_rc_config: every line counts).
#
# if/elif/else/fi: a condition ShellCondition can decide ($1 is
# "start", $2 empty; checkyesno m_debug, [ -f "$cfgfile" ] through
# file_test) runs only the branch the shell would take, so an rc.conf
# setting such as m_debug=YES (--verbose in command_args instead of
# --daemon) gives the command_args of that branch. A condition it cannot
# decide runs every branch in order, as if there were no if; so do the
# conditions inside a function body (they depend on how it is called).
require "set"

module Milter
  module Manager
    class RcScript
      DEFAULT = /\$\{(\w+)(:?)[-=]("[^"]*"|'[^']*'|[^}]*)\}/
      ARGUMENTS = ["start"]
      Branch = Struct.new(:outer_active, :active, :taken, :undecided)

      attr_reader :rc_name, :variables

      def initialize(text, rc_conf_texts, file_test: nil)
        @rc_conf = rc_conf_texts.compact.reduce({}) do |variables, conf|
          DetectorRules.parse_assignments(conf, variables, lower_case: true)
        end
        @file_test = file_test
        @variables = {}
        @rc = {}
        @unknown = Set.new
        @branches = []
        @function_depth = 0
        @rc_name = nil
        @loaded = false
        @load_line = text.to_s.match?(/^\s*load_rc_config\b/)
        run(text.to_s)
      end

      def [](name)
        @variables[name]
      end

      def rc_value(suffix, rc_name = @rc_name)
        rc_variable("#{rc_name}_#{suffix}")
      end

      def rc_variable(name)
        @rc[name]
      end

      # rc.conf's own value of a variable (pkgsrc reads rcvar there).
      def rc_conf_value(name)
        @rc_conf[name]
      end

      private

      def run(text)
        text.each_line do |line|
          commands(DetectorRules.strip_comment(line)).each { |command| step(command) }
        end
      end

      # The commands of a line: split at ";" outside quotes.
      def commands(code)
        list = [+""]
        quote = nil
        code.each_char do |char|
          if quote
            quote = nil if char == quote
          elsif char == '"' || char == "'"
            quote = char
          elsif char == ";"
            list << +""
            next
          end
          list.last << char
        end
        list.map(&:strip).reject(&:empty?)
      end

      def step(command)
        case command
        when /\Aif\s+(.*)\z/m
          open_branch(Regexp.last_match(1))
        when /\Aelif\s+(.*)\z/m
          branch = @branches.last
          choose(branch, condition(Regexp.last_match(1), branch)) if branch
        when /\A(then|else)(?:\s+(.*))?\z/m
          choose(@branches.last, true) if Regexp.last_match(1) == "else" && @branches.last
          step(Regexp.last_match(2)) if Regexp.last_match(2)
        when "fi"
          @branches.pop
        else
          execute(command) if active?
        end
      end

      def active?
        @branches.empty? || @branches.last.active
      end

      def open_branch(text)
        branch = Branch.new(active?, false, false, false)
        @branches << branch
        choose(branch, condition(text, branch))
      end

      # nil also when sh would not evaluate it (an earlier branch ran).
      def condition(text, branch)
        return nil if !branch.outer_active || branch.taken
        apply_defaults(text)
        return nil if @function_depth.positive?
        positional = ARGUMENTS.each_with_index.to_h { |value, index| [(index + 1).to_s, value] }
        ShellCondition.evaluate(text, positional.merge(@variables),
                                unknown: @unknown, file_test: @file_test)
      end

      # The next branch of an if (result: its condition; true for else).
      def choose(branch, result)
        branch.active =
          if !branch.outer_active || branch.taken
            false
          elsif branch.undecided || result.nil?
            branch.undecided = true
          else
            branch.taken = result
          end
      end

      def execute(command)
        track_function(command)
        if command.match?(/\Aload_rc_config\b/)
          @variables.merge!(@rc_conf)
          @rc.merge!(@rc_conf)
          @loaded = true
          return
        end
        @unknown << Regexp.last_match(1) if command =~ /\Aeval\s+(\w+)=/
        apply_defaults(command)
        before = @variables["name"]
        assigned = DetectorRules.parse_assignments(command, {}, lower_case: true)
        @variables = DetectorRules.parse_assignments(command, @variables, lower_case: true)
        assigned.each_key { |name| @rc[name] = @variables[name] } unless @loaded && @load_line
        return if @variables["name"] == before || @rc_name
        @rc_name = @variables["name"]
        return if @load_line
        @variables.merge!(@rc_conf)
        @rc.merge!(@rc_conf)
        @loaded = true
      end

      # NAME() { ... }: its conditions are not decided (see above).
      def track_function(command)
        if command.match?(/\A\w+\s*\(\s*\)\s*\{?\z/)
          @function_depth += 1
        elsif @function_depth.positive? && command == "}"
          @function_depth -= 1
        end
      end

      def apply_defaults(code)
        code.scan(DEFAULT) do |name, colon, value|
          value = DetectorRules.assignment_value(value, @variables)
          next if value.nil?
          [@variables, @rc].each do |variables|
            current = variables[name]
            variables[name] = value if current.nil? || (colon == ":" && current.empty?)
          end
        end
      end
    end
  end
end
