# ShellCondition: the if-conditions of rc.d scripts the detectors can
# decide (spec detection.md §7.1), one table.
require "helper"

class TestShellCondition < Test::Unit::TestCase
  C = Milter::Manager::ShellCondition

  VARIABLES = { "1" => "start", "m_debug" => "YES", "m_off" => "no", "e" => "",
                "cfg" => "/etc/m.conf", "n" => "3" }
  FILES = ["/etc/m.conf"]

  data(
    "checkyesno YES" => ["checkyesno m_debug", true],
    "checkyesno no" => ["checkyesno m_off", false],
    "checkyesno unset" => ["checkyesno m_unset", false],
    "! checkyesno" => ["! checkyesno m_debug", false],
    "test = quoted" => ['test "$m_debug" = "YES"', true],
    "[ = ] braces" => ['[ "${m_debug}" = YES ]', true],
    "[ != ]" => ['[ "$1" != "restart" ]', true],
    "-n set" => ['[ -n "$cfg" ]', true],
    "-n empty" => ['[ -n "$e" ]', false],
    "-z unset" => ['[ -z "${nothing}" ]', true],
    "$2 is empty" => ['[ -n "$2" ]', false],
    "default in a reference" => ['[ "${nothing:-x}" = x ]', true],
    "lone string" => ['[ "$e" ]', false],
    "[ ! -n ]" => ['[ ! -n "$cfg" ]', false],
    "-f existing" => ['[ -f "${cfg}" ]', true],
    "-f missing" => ['[ -f /etc/other.conf ]', false],
    "integers" => ['[ "$n" -gt 2 ]', true],
    "not integers" => ['[ "$cfg" -gt 2 ]', nil],
    "&& both" => ['[ -n "$cfg" ] && [ -n "$1" ]', true],
    "&& false first" => ['[ -n "$e" ] && getent passwd x', false],
    "&& undecided then false" => ['getent passwd x && [ -n "$e" ]', false],
    "&& undecided then true" => ['getent passwd x && [ -n "$cfg" ]', nil],
    "|| true first" => ['checkyesno m_debug || getent passwd x', true],
    "|| undecided then true" => ['getent passwd x || true', true],
    "|| false then undecided" => ['false || getent passwd x', nil],
    "other command" => ["getent passwd milter-manager > /dev/null", nil],
    "eval'ed variable" => ['[ -n "$evaled" ]', nil],
    "command substitution" => ['[ -n "$(hostname)" ]', nil],
    "exit status" => ['[ $? -eq 0 ]', nil],
    "unbalanced quote" => ['[ -n "$cfg ]', nil],
    "[[ is not sh" => ['[[ -n "$cfg" ]]', nil],
  )
  def test_evaluate((text, expected))
    file_test = ->(operator, path) { operator == "-f" ? FILES.include?(path) : nil }
    assert_equal(expected, C.evaluate(text, VARIABLES, unknown: ["evaled"], file_test: file_test))
  end

  def test_file_operator_without_file_test_is_undecided
    assert_nil(C.evaluate("[ -f /etc/m.conf ]", {}))
  end
end
