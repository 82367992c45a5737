# Table-driven tests of Milter::Manager::ValueRules and ConnectionSpec.
require "helper"

class TestValueRules < Test::Unit::TestCase
  R = Milter::Manager::ValueRules
  STATUSES = '["accept", "temporary-failure", "reject", "discard"]'

  GOOD = [
    [:boolean, [true], true], [:boolean, ["true"], true],
    [:boolean, [false], false], [:boolean, ["false"], false],
    [:string, [nil], nil], [:string, ["x"], "x"],
    [:status, ["accept"], "accept"], [:status, ["Temporary_Failure"], "temporary-failure"],
    [:status, [:reject], "reject"], [:status, ["DISCARD"], "discard"],
    [:integer, [0], 0], [:integer, ["0660"], 0660], [:integer, ["12"], 12],
    [:integer, [nil, { nil_as: 0 }], 0], [:integer, [1000, { max: 1000 }], 1000],
    [:seconds, [7], 7.0], [:seconds, ["2.5"], 2.5],
    [:connection_spec, [nil], nil], [:connection_spec, ["unix:/run/x.sock"], "unix:/run/x.sock"],
    [:connection_spec, ["inet:10025"], "inet:10025"],
    [:connection_spec, ["inet:10025@localhost"], "inet:10025@localhost"],
    [:connection_spec, ["inet:10025@[127.0.0.1]"], "inet:10025@[127.0.0.1]"],
    [:connection_spec, ["inet6:10025@[::1]"], "inet6:10025@[::1]"],
    [:connection_spec, ["local:/x"], "local:/x"],
    [:connection_spec, ["inet:127.0.0.1:10025"], "inet:127.0.0.1:10025"],
    [:log_levels, ["all"], R::LOG_LEVELS], [:log_levels, ["none"], []],
    [:log_levels, ["default"], ["critical", "error", "warning"]],
    [:log_levels, ["statistics|error"], ["error", "statistics"]],
    [:log_levels, ["+info"], ["critical", "error", "warning", "info"]],
    [:log_levels, ["-warning"], ["critical", "error"]],
    [:log_levels, ["all|-debug"], R::LOG_LEVELS - ["debug"]],
    [:package_options, [{ "prefix" => "/usr/pkg", "rcddir" => "/etc/rc.d" }],
     "prefix=/usr/pkg,rcddir=/etc/rc.d"],
    [:package_options, ["a=b"], "a=b"], [:package_options, [nil], nil],
    [:command_options, [["-p", "a b"]], "-p a\\ b"], [:command_options, ["start x"], "start x"],
  ]

  BAD = [
    [:boolean, ["yes"], 'X should be one of [true, false] but was "yes"'],
    [:boolean, [1], "X should be one of [true, false] but was 1"],
    [:string, [1], "X should be a String or nil but was 1"],
    [:status, ["maybe"], "X should be one of #{STATUSES} but was \"maybe\""],
    [:status, [nil], "X should be one of #{STATUSES} but was nil"],
    [:integer, [-1], "X should be an Integer >= 0 but was -1"],
    [:integer, ["ten"], 'X should be an Integer >= 0 but was "ten"'],
    [:integer, [nil], "X should be an Integer >= 0 but was nil"],
    [:integer, [1001, { max: 1000 }], "X should be an Integer 0..1000 but was 1001"],
    [:integer, [0, { min: 1, max: 65535, nil_as: 65535 }],
     "X should be an Integer 1..65535 or nil but was 0"],
    [:seconds, [0], "X should be a positive number of seconds but was 0"],
    [:log_levels, ["loud"], 'X should be one of ["critical", "error", "warning", "message", ' +
     '"info", "debug", "trace", "statistics", "profile", "all", "none", "default"] ' +
     '(joined by |) but was "loud"'],
    [:package_options, [1], 'X should be a String "K1=V1,K2=V2", a Hash or nil but was 1'],
  ]

  BAD_SPECS = {
    "10025" => "no protocol (unix:, inet: or inet6:)",
    "tcp:10025" => 'unknown protocol "tcp"',
    "unix:" => "empty path",
    "inet:99999" => "port 99999 is out of range 1-65535",
    "inet:smtp" => 'port "smtp" is not a decimal number',
    "inet:10025@" => "empty host",
    "inet:10025@[127.0.0.1" => "unbalanced brackets",
    "inet6:10025@[nothing]" => "[nothing] is not an IP address",
  }

  data(GOOD.to_h { |rule, args, expected| ["#{rule} #{args.inspect}", [rule, args, expected]] })
  def test_good((rule, args, expected))
    value, options = args
    assert_equal(expected, R.send(rule, "X", value, **(options || {})))
  end

  data(BAD.to_h { |rule, args, message| ["#{rule} #{args.inspect}", [rule, args, message]] })
  def test_bad((rule, args, message))
    value, options = args
    error = assert_raise(Milter::Manager::InvalidValue) do
      R.send(rule, "X", value, **(options || {}))
    end
    assert_equal(message, error.message)
  end

  data(BAD_SPECS.to_h { |spec, problem| [spec, [spec, problem]] })
  def test_bad_connection_spec((spec, problem))
    assert_equal(problem, Milter::Manager::ConnectionSpec.problem(spec))
  end

  def test_enum_event_loop
    assert_equal("libev", R.enum("X", "LIBEV", R::EVENT_LOOP_BACKENDS))
    assert_raise(Milter::Manager::InvalidValue) { R.enum("X", "epoll", R::EVENT_LOOP_BACKENDS) }
  end
end
