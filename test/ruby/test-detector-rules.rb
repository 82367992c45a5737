# DetectorRules: the parsing rules every detector shares (spec
# detection.md §4), one table per rule.
require "helper"

class TestDetectorRules < Test::Unit::TestCase
  R = Milter::Manager::DetectorRules

  data(
    "plain" => ["SOCKET=/run/x.sock\n", {}, { "SOCKET" => "/run/x.sock" }],
    "double quotes" => ["DESC=\"a b\"\n", {}, { "DESC" => "a b" }],
    "single quotes, not expanded" => ["A=x\nB='$A y'\n", {}, { "A" => "x", "B" => "$A y" }],
    "comment after the value" => ["S=/x # the socket\n", {}, { "S" => "/x" }],
    "# inside quotes is kept" => ["D=\"a # b\"\n", {}, { "D" => "a # b" }],
    "commented line" => ["# S=/x\n", {}, {}],
    "later overrides" => ["S=/a\nS=/b\n", {}, { "S" => "/b" }],
    "$VAR and ${VAR}" => ["R=/run\nS=$R/a:${R}/b\n", {}, { "R" => "/run", "S" => "/run/a:/run/b" }],
    "unknown reference kept" => ["S=$NOPE/x\n", {}, { "S" => "$NOPE/x" }],
    "${VAR:-default}" => ["S=${NOPE:-/d}\n", {}, { "S" => "/d" }],
    "positional keeps the earlier value" => ["C=/etc/c\nC=\"$1\"\n", {}, { "C" => "/etc/c" }],
    "initial variables" => ["S=$R/x\n", { "R" => "/r" }, { "R" => "/r", "S" => "/r/x" }],
    "lower case ignored" => ["socket=/x\n", {}, {}],
    "indented, export" => ["  export S=/x\n", {}, { "S" => "/x" }],
    "empty value" => ["E=\n", {}, { "E" => "" }],
    "not an assignment" => ["[ -x $D ] || exit 0\nif [ a = b ]; then\n", {}, {}],
  )
  def test_parse_assignments((text, initial, expected))
    assert_equal(expected, R.parse_assignments(text, initial))
  end

  def test_parse_assignments_lower_case_and_script_name
    assert_equal({ "pidfile" => "/run/m.pid", "cf" => "/etc/m.conf" },
                 R.parse_assignments("pidfile=/run/$name.pid\ncf=/etc/${name}.conf\n",
                                     lower_case: true, script_name: "m"))
  end

  data(
    "separate word" => ["-u x -p inet:1@h -P /pid", "-p", "inet:1@h"],
    "last occurrence" => ["-p /a -p /b", "-p", "/b"],
    "joined" => ["-u x -p/run/s", "-p", "/run/s"],
    "with =" => ["--config-file=/etc/c.conf", "--config-file", "/etc/c.conf"],
    "reference ignored" => ["-p $SOCKET", "-p", nil],
    "quoted" => ["-p '/run/a b'", "-p", "/run/a b"],
    "absent" => ["-u x", "-p", nil],
    "nil flags" => [nil, "-p", nil],
    "option last, no value" => ["-u x -p", "-p", nil],
    "unbalanced quote" => ["-p /x \"", "-p", "/x"],
  )
  def test_option_value((flags, option, expected))
    assert_equal(expected, R.option_value(flags, option))
  end

  data(
    "comments and blank lines" => ["# c\n\n a \n", ["#"], ["a"]],
    "joined" => ["a \\\n  b\\\nc\nd\n", ["#"], ["a b c", "d"]],
    "other comment marks" => ["; c\n# d\ne\n", ["#", ";"], ["e"]],
    "continued at the end" => ["a \\\n", ["#"], ["a"]],
  )
  def test_logical_lines((text, marks, expected))
    assert_equal(expected, R.logical_lines(text, marks))
  end

  data(
    "path" => ["/run/x.sock", "unix:/run/x.sock"],
    "blanks" => ["  inet:1@h \n", "inet:1@h"],
    "empty" => ["  ", nil],
    "nil" => [nil, nil],
    "repeated unix:" => ["unix:unix:/x", "unix:/x"],
    "local: then unix:" => ["local:unix:/x", "local:/x"],
    "local: kept" => ["local:/x", "local:/x"],
  )
  def test_normalize_spec((value, expected))
    assert_equal(expected, R.normalize_spec(value))
  end

  data(
    "unix" => ["unix:/x", false],
    "inet" => ["inet:10025@[127.0.0.1]", false],
    "placeholder port (issue #154)" => ["inet:port@localhost", true],
    "unexpanded reference" => ["unix:$RUNDIR/x.sock", true],
    "no protocol" => ["localhost:25", true],
    "nil" => [nil, true],
  )
  def test_spec_problem((spec, problem))
    assert_equal(problem, !R.spec_problem(spec).nil?)
  end
end
