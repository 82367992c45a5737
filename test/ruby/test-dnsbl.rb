# DNSBL (spec applicable-conditions.md §5.8), the configuration side: the
# `dnsbl` helper's settings and checks, define_dnsbl_stopper, and what the
# engine is handed for its native condition (the lookups themselves are
# tested in C, test/manager/test-manager-dnsbl.c, and through the daemon,
# test/integration/manager-dnsbl.sh).
require "helper"

class TestDnsbl < Test::Unit::TestCase
  include ConfigurationTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  Dnsbl = Milter::Manager::Dnsbl

  def test_defaults
    assert_equal([["zen.spamhaus.org", "127.0.0.10/31"], ["dnsbl.sorbs.net", "127.0.0.10"],
                  ["bl.spamcop.net", "127.0.0.2"], ["b.barracudacentral.org", "127.0.0.2"]],
                 Dnsbl.new.services.map(&:to_a))
    assert_equal([[], 5.0], [Dnsbl.new.name_servers, Dnsbl.new.timeout])
  end

  def test_settings
    dnsbl = Dnsbl.new
    dnsbl.add_service("BL.Example", nil)
    dnsbl.add_service("bl2.example.", "127.0.0.0/24")
    dnsbl.name_server = "127.0.0.1:5353"
    dnsbl.timeout = 2
    assert_equal([["bl.example", nil], ["bl2.example.", "127.0.0.0/24"], ["127.0.0.1:5353"], 2.0],
                 [dnsbl.services[-2].to_a, dnsbl.services[-1].to_a, dnsbl.name_servers, dnsbl.timeout])
    ["127.0.0.1", "::1", "[::1]:53", "192.0.2.53:53"].each do |server|
      dnsbl.name_servers = [server]
      assert_equal([server], dnsbl.name_servers)
    end
  end

  def test_invalid_values
    dnsbl = Dnsbl.new
    [-> { dnsbl.add_service("a..b") }, -> { dnsbl.add_service("") },
     -> { dnsbl.add_service("x" * 64 + ".example") },
     -> { dnsbl.add_service("bl.example", "127.0.0.300") },
     -> { dnsbl.add_service("bl.example", "::1") },
     -> { dnsbl.name_servers = ["nameserver"] }, -> { dnsbl.name_server = "127.0.0.1:99999" },
     -> { dnsbl.timeout = 0 }].each_with_index do |set, i|
      assert_raise(Milter::Manager::InvalidValue, "case #{i}") { set.call }
    end
  end

  def test_bundled_conditions_are_native_and_see_later_settings
    write("milter-manager.conf", <<~CONF)
      load("#{File.expand_path("../../conf/applicable-conditions/dnsbl.conf", __dir__)}")
      dnsbl.add_service("bl.example")
      dnsbl.name_server = "127.0.0.1:5353"
      dnsbl.timeout = 0.5
    CONF
    configuration = load_configuration
    entries = Milter::Manager::Embedded.conditions(configuration)
    assert_equal(["DNSBL Listed", "Not DNSBL Listed"], entries.map(&:first))
    assert_equal([["connect"], ["connect"]], entries.map { |entry| entry[3] })
    listed, not_listed = entries.map { |entry| entry[4] }
    assert_equal({ "kind" => "dnsbl",
                   "zones" => [["zen.spamhaus.org", "127.0.0.10/31"], ["dnsbl.sorbs.net", "127.0.0.10"],
                               ["bl.spamcop.net", "127.0.0.2"], ["b.barracudacentral.org", "127.0.0.2"],
                               ["bl.example", nil]],
                   "name_server" => "127.0.0.1:5353", "timeout" => 0.5, "stop_when_listed" => false },
                 listed)
    assert_equal(true, not_listed["stop_when_listed"])
  end

  def test_a_dnsbl_stopper_is_the_only_stopper
    error = load_error(<<~CONF)
      define_applicable_condition("X") do |condition|
        condition.define_dnsbl_stopper(dnsbl, stop_when_listed: true)
        condition.define_helo_stopper { |context, fqdn| true }
      end
    CONF
    assert_match(/milter-manager\.conf:3: a DNSBL condition has no other stopper/, error.message)
    error = load_error(<<~CONF)
      define_applicable_condition("Y") do |condition|
        condition.define_dnsbl_stopper(nil, stop_when_listed: true)
      end
    CONF
    assert_match(/milter-manager\.conf:2: define_dnsbl_stopper needs the dnsbl helper/, error.message)
  end
end
