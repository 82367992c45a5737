# S25R (spec applicable-conditions.md §5.1): the decision on a table of
# host names and client addresses, the lists' settings, and the bundled
# s25r.conf's connect stopper.
require "helper"
require "fake-condition-context"

class TestS25R < Test::Unit::TestCase
  include ConfigurationTestHelper
  include ConditionTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  S25R = Milter::Manager::S25R
  V4 = FakeSocketAddress.ipv4("192.0.2.1")
  V6 = FakeSocketAddress.ipv6("2001:db8::1")
  UNIX = FakeSocketAddress.unix
  UNKNOWN = FakeSocketAddress.unknown

  # host, address, stopped? (false: the child is applied)
  HOSTS = {
    "static name" => ["mail.example.com", V4, true],
    "static name with a digit" => ["mx1.example.com", V4, true],
    "short static name" => ["example.com", V4, true],
    "literal unknown" => ["unknown", V4, false],
    "reverse lookup failed" => ["[192.0.2.1]", V4, false],
    "empty brackets are not an address" => ["[]", V4, true],
    "digit, non-digits, digit in the first label" => ["a1b2.example.com", V4, false],
    "IP-derived first label" => ["192-0-2-1.dsl.example.net", V4, false],
    "five digits in the first label" => ["host12345.example.com", V4, false],
    "four digits only" => ["host1234.example.com", V4, true],
    "second label begins with a digit, five labels" => ["h.1x.example.co.jp", V4, false],
    "first label is a number, five labels" => ["12.34.example.ne.jp", V4, false],
    "number label in a short name" => ["12.example.com", V4, true],
    "digit end then digit-hyphen-digit" => ["x1.a2-3.example.com", V4, false],
    "two labels ending in digits, five labels" => ["x1.y2.example.co.jp", V4, false],
    "two labels ending in digits, four labels" => ["x1.y2.example.com", V4, true],
    "dhcp" => ["dhcp-host7.example.com", V4, false],
    "dialup" => ["dialup12.example.com", V4, false],
    "ppp" => ["ppp3.example.com", V4, false],
    "ADSL, upper case" => ["ADSL3.example.com", V4, false],
    "vdsl" => ["vdsl42.example.com", V4, false],
    "dsl without a digit" => ["dsl.example.com", V4, true],
    "dsl word not at the start" => ["mydsl1.example.com", V4, true],
    "google whitelisted" => ["mail-12345.google.com", V4, true],
    "amazonses whitelisted" => ["a12-34.smtp-out.amazonses.com", V4, true],
    "sendgrid whitelisted" => ["o12345.sendgrid.net", V4, true],
    "gitlab whitelisted" => ["mail12345.mg.gitlab.com", V4, true],
    "slack whitelisted" => ["mail-12345.slack.com", V4, true],
    "obsmtp whitelisted" => ["mail12345.obsmtp.com", V4, true],
    "whitelist is anchored at the end" => ["host12345.google.com.example.net", V4, false],
    "IPv6 client not checked" => ["host12345.example.com", V6, true],
    "UNIX client not checked" => ["unknown", UNIX, true],
    "unknown client not checked" => ["unknown", UNKNOWN, true],
  }

  data(HOSTS)
  def test_default_lists((host, address, expected))
    assert_equal(expected, S25R.new.stop?(host, address))
  end

  data(HOSTS)
  def test_bundled_stopper((host, address, expected))
    configuration = load_bundled
    assert_equal(expected, stop?(configuration, "S25R", :connect, FakeConditionContext.new,
                                 host, address))
  end

  def test_rule_order
    # host, ipv4, whitelist, blacklist, only_check_ipv4, stopped?
    [
      ["dyn", true, [], ["dyn"], true, false],
      ["dyn", true, ["dyn"], ["dyn"], true, true],       # whitelist wins
      ["dyn", false, [], ["dyn"], true, true],           # not IPv4
      ["dyn", false, [], ["dyn"], false, false],         # IPv6 checked too
      ["dyn", false, ["dyn"], ["dyn"], false, true],
      ["other", true, [], ["dyn"], true, true],          # not listed
    ].each do |host, ipv4, white, black, only_ipv4, expected|
      actual = S25R.stop?(host, ipv4, whitelist: Milter::Manager::MatcherList.new(white),
                          blacklist: Milter::Manager::MatcherList.new(black),
                          only_check_ipv4: only_ipv4)
      assert_equal(expected, actual, [host, ipv4, white, black, only_ipv4].inspect)
    end
  end

  def test_settings_from_local_conf
    configuration = load_bundled(<<~CONF)
      s25r.add_whitelist(/\\.example\\.jp\\z/)
      s25r.add_whitelist { |host| host == "host12345.example.com" }
      s25r.add_blacklist("mail.example.net")
      s25r.add_blacklist { |host| host.end_with?(".dyn.example.org") }
      s25r.check_only_ipv4 = false
    CONF
    context = FakeConditionContext.new
    results = [
      ["host12345.example.jp", V4], ["host12345.example.com", V4], ["mail.example.net", V4],
      ["a.dyn.example.org", V4], ["host12345.example.org", V6], ["unknown", UNIX],
    ].map { |host, address| stop?(configuration, "S25R", :connect, context, host, address) }
    assert_equal([true, true, false, false, false, false], results)
  end

  def test_only_check_ipv4_spellings
    s25r = S25R.new
    assert_true(s25r.only_check_ipv4?)
    s25r.only_check_ipv4 = false
    assert_false(s25r.check_only_ipv4?)
    s25r.check_only_ipv4 = "true"
    assert_true(s25r.only_check_ipv4?)
  end

  def test_bad_values_fail_the_load_at_their_line
    error = load_error("\ns25r.add_whitelist(42)\n")
    assert_equal([main_file, 2], [error.file, error.line])
    assert_match(/a matcher should be a Regexp, a String or a block but was 42/, error.message)
    error = load_error("s25r.only_check_ipv4 = 1\n")
    assert_equal(1, error.line)
  end

  def test_each_load_starts_from_the_defaults
    load_text("s25r.add_blacklist(\"mail.example.com\")\n")
    configuration = load_bundled
    assert_true(stop?(configuration, "S25R", :connect, FakeConditionContext.new,
                      "mail.example.com", V4))
  end
end
