# ShellCondition - the condition of an rc.d script's `if`, decided from
# the variables known at that point, when it can be (spec detection.md
# §7.1: the script runs as `RC_D/NAME start`):
#
#   ShellCondition.evaluate('[ -n "$x" ] && checkyesno m_debug',
#                           variables, unknown: names, file_test: test)
#   # => true, false, or nil (cannot be decided here)
#
# Understood: `[ ... ]` and `test ...` with -n, -z, a lone string, =, ==,
# !=, -eq/-ne/-lt/-le/-gt/-ge on integers, file operators (-e -f -r -d
# -s -x -w -L -h, through file_test: ->(operator, path) { true/false/nil
# }), `!`; rc.subr's `checkyesno VAR` (yes/true/on/1, any case); `true`,
# `false`, `:`; `A && B`, `A || B` (left to right, as sh does). A
# reference to a variable in unknown, a command substitution, `$?` and
# the like, or any other command make the answer nil. An unset variable
# is empty, as in the shell; positional parameters are variables "1",
# "2", ...
require "shellwords"

module Milter
  module Manager
    module ShellCondition
      module_function

      YES = /\A(?:yes|true|on|1)\z/i
      FILE_OPERATORS = ["-e", "-f", "-r", "-d", "-s", "-x", "-w", "-L", "-h"]
      INTEGER_OPERATORS = {
        "-eq" => :==, "-ne" => :!=, "-lt" => :<, "-le" => :<=, "-gt" => :>, "-ge" => :>=,
      }
      REFERENCE = /\$\{(\w+)(?:(:?[-=])([^}]*))?\}|\$(\w+)|\$\{[^}]*\}?|\$[?#@*!$-]|\$\(|`/

      def evaluate(text, variables, unknown: [], file_test: nil)
        parts = text.to_s.strip.split(/\s*(&&|\|\|)\s*/)
        result = simple(parts.shift, variables, unknown, file_test)
        parts.each_slice(2) do |operator, command|
          result = combine(result, operator) { simple(command, variables, unknown, file_test) }
        end
        result
      end

      # sh's && and || when either side may be undecided (nil).
      def combine(left, operator)
        decisive = operator == "&&" ? false : true
        return decisive if left == decisive
        right = yield
        return right unless left.nil?
        right == decisive ? decisive : nil
      end

      def simple(command, variables, unknown, file_test)
        return nil if command.nil? || command.empty?
        if command.start_with?("! ")
          result = simple(command[2..].strip, variables, unknown, file_test)
          return result.nil? ? nil : !result
        end
        words = Shellwords.split(command)
        return nil if words.empty?
        case words[0]
        when "true", ":"
          true
        when "false"
          false
        when "checkyesno"
          return nil unless words.size == 2 && /\A\w+\z/.match?(words[1])
          return nil if unknown.include?(words[1])
          YES.match?(variables[words[1]].to_s)
        when "[", "test"
          return nil if words[0] == "[" && words.pop != "]"
          arguments = words[1..].map { |word| expand(word, variables, unknown) }
          return nil if arguments.include?(nil)
          test(arguments, file_test)
        end
      rescue ArgumentError # an unbalanced quote
        nil
      end

      # A word with its references replaced; nil when one is not known.
      def expand(word, variables, unknown)
        known = true
        value = word.gsub(REFERENCE) do
          name = Regexp.last_match(1) || Regexp.last_match(4)
          if name.nil? || unknown.include?(name)
            known = false
            next ""
          end
          current = variables[name]
          operator = Regexp.last_match(2)
          empty = current.nil? || (operator&.start_with?(":") && current.empty?)
          if operator && empty
            inner = expand(Regexp.last_match(3), variables, unknown)
            known &&= !inner.nil?
            inner.to_s
          else
            current.to_s
          end
        end
        known ? value : nil
      end

      def test(arguments, file_test)
        if arguments[0] == "!" && arguments.size > 1
          result = test(arguments[1..], file_test)
          return result.nil? ? nil : !result
        end
        case arguments.size
        when 0
          false
        when 1
          !arguments[0].empty?
        when 2
          operator, operand = arguments
          return operand.empty? == (operator == "-z") if ["-n", "-z"].include?(operator)
          return file_test&.call(operator, operand) if FILE_OPERATORS.include?(operator)
          nil
        when 3
          left, operator, right = arguments
          return left == right if ["=", "=="].include?(operator)
          return left != right if operator == "!="
          compare = INTEGER_OPERATORS[operator]
          return nil unless compare && [left, right].all? { |v| /\A-?\d+\z/.match?(v) }
          Integer(left, 10).public_send(compare, Integer(right, 10))
        end
      end
    end
  end
end
