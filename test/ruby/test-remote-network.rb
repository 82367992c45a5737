# Remote Network (spec applicable-conditions.md §5.2): the classification
# of IPv4, IPv6, UNIX and unknown client addresses with and without
# CIDR lists, and the bundled remote-network.conf's connect stopper.
require "helper"
require "fake-condition-context"

class TestRemoteNetwork < Test::Unit::TestCase
  include ConfigurationTestHelper
  include ConditionTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  RemoteNetwork = Milter::Manager::RemoteNetwork

  def self.v4(address) = FakeSocketAddress.ipv4(address)
  def self.v6(address) = FakeSocketAddress.ipv6(address)
  def v4(address) = FakeSocketAddress.ipv4(address)
  def v6(address) = FakeSocketAddress.ipv6(address)

  # address, expected class, with no list
  DEFAULTS = {
    "public IPv4" => [v4("192.0.2.1"), :remote],
    "loopback" => [v4("127.0.0.1"), :local],
    "loopback network" => [v4("127.1.2.3"), :local],
    "10/8" => [v4("10.1.2.3"), :local],
    "172.16/12" => [v4("172.31.255.254"), :local],
    "just outside 172.16/12" => [v4("172.32.0.1"), :remote],
    "192.168/16" => [v4("192.168.1.1"), :local],
    "link-local IPv4 is not local" => [v4("169.254.1.1"), :remote],
    "public IPv6" => [v6("2001:db8::1"), :remote],
    "IPv6 loopback" => [v6("::1"), :local],
    "IPv6 link-local" => [v6("fe80::1"), :local],
    "IPv6 unique local is not local" => [v6("fd00::1"), :remote],
    "UNIX socket" => [FakeSocketAddress.unix, :local],
    "unknown" => [FakeSocketAddress.unknown, :unknown],
  }

  data(DEFAULTS)
  def test_default_classification((address, expected))
    assert_equal(expected, RemoteNetwork.new.classify(address))
  end

  data(DEFAULTS)
  def test_bundled_stopper((address, expected))
    configuration = load_bundled
    assert_equal(expected != :remote,
                 stop?(configuration, "Remote Network", :connect,
                       FakeConditionContext.new, "host.example.com", address))
  end

  LISTS = <<~CONF
    remote_network.add_local_address("192.0.2.0/24")
    remote_network.add_local_address(IPAddr.new("198.51.100.7"))
    remote_network.add_local_address("2001:db8::/32")
    remote_network.add_remote_address("10.0.0.5")
    remote_network.add_remote_address("192.0.2.128/25")
    remote_network.add_remote_address("fe80::99")
  CONF

  # address, expected class, with LISTS
  WITH_LISTS = {
    "in a local network" => [v4("192.0.2.1"), :local],
    "in a remote network inside a local one" => [v4("192.0.2.200"), :remote],
    "a local IPAddr entry" => [v4("198.51.100.7"), :local],
    "next to it" => [v4("198.51.100.8"), :remote],
    "remote entry wins over private" => [v4("10.0.0.5"), :remote],
    "other private address" => [v4("10.0.0.6"), :local],
    "IPv6 local network" => [v6("2001:db8:1::1"), :local],
    "IPv6 outside it" => [v6("2001:db9::1"), :remote],
    "remote entry wins over link-local" => [v6("fe80::99"), :remote],
    "IPv4-mapped in a local network" => [v6("::ffff:192.0.2.1"), :local],
    "IPv4-mapped in a remote network" => [v6("::ffff:192.0.2.200"), :remote],
    "UNIX socket" => [FakeSocketAddress.unix, :local],
    "unknown" => [FakeSocketAddress.unknown, :unknown],
  }

  data(WITH_LISTS)
  def test_lists((address, expected))
    configuration = load_bundled(LISTS)
    assert_equal(expected != :remote,
                 stop?(configuration, "Remote Network", :connect,
                       FakeConditionContext.new, "host.example.com", address))
  end

  def test_classify_is_pure
    local = [RemoteNetwork.ip_address("local", "192.0.2.0/24")]
    remote = [RemoteNetwork.ip_address("remote", "192.0.2.1")]
    # ip, local?, expected class, local? asked?
    [["192.0.2.1", false, :remote, false], ["192.0.2.2", false, :local, false],
     ["203.0.113.1", true, :local, true], [nil, false, :unknown, true], [nil, true, :local, true],
     ["203.0.113.1", false, :remote, true]].each do |address, local_answer, expected, asked|
      calls = 0
      ip = address && IPAddr.new(address)
      actual = RemoteNetwork.classify(ip && [ip.family, ip.to_i], local, remote) { calls += 1; local_answer }
      assert_equal([expected, asked], [actual, calls == 1], [address, local_answer].inspect)
    end
  end

  # network, address, contained? (as IPAddr#include? answers)
  NETWORKS = [
    ["0.0.0.0/0", "203.0.113.1", true], ["0.0.0.0/0", "::1", false],
    ["192.0.2.0/24", "192.0.2.255", true], ["192.0.2.0/24", "192.0.3.0", false],
    ["192.0.2.77/24", "192.0.2.1", true], # host bits of the entry ignored
    ["192.0.2.1", "192.0.2.1", true], ["192.0.2.1", "192.0.2.2", false],
    ["172.16.0.0/12", "172.31.0.1", true], ["172.16.0.0/12", "172.32.0.1", false],
    ["::/0", "2001:db8::1", true], ["::/0", "192.0.2.1", false],
    ["2001:db8::/32", "2001:db8:ffff::1", true], ["2001:db8::/32", "2001:db9::", false],
    ["2001:db8::1", "2001:db8::1", true], ["2001:db8::1/128", "2001:db8::2", false],
    ["fe80::/10", "febf::1", true], ["fe80::/10", "fec0::1", false],
  ]

  def test_ip_network_contains_as_ipaddr_does
    NETWORKS.each do |network, address, expected|
      entry = RemoteNetwork.ip_address("t", network)
      ip = IPAddr.new(address)
      assert_equal([expected, expected], [entry.include?(ip), IPAddr.new(network).include?(ip)],
                   [network, address].inspect)
    end
  end

  def test_ipv4_integer
    assert_equal([0xcb007105, 0, 0xffffffff, nil, nil, nil, nil],
                 ["203.0.113.5", "0.0.0.0", "255.255.255.255", "256.0.0.1", "1.2.3",
                  "::1", "1.2.3.4\n"].map { |text| Milter::Manager::IPNetwork.ipv4_integer(text) })
  end

  # The key of a client address: [family, integer], IPv4-mapped as IPv4.
  def test_address_key
    assert_equal([[Socket::AF_INET, 0xc0000201], [Socket::AF_INET, 0xc0000201],
                  [Socket::AF_INET6, IPAddr.new("2001:db8::1").to_i], nil, nil],
                 [v4("192.0.2.1"), v6("::ffff:192.0.2.1"), v6("2001:db8::1"),
                  FakeSocketAddress.unix, FakeSocketAddress.unknown].map { |address|
                   RemoteNetwork.address_key(address)
                 })
  end

  def test_bad_entries_fail_the_load_at_their_line
    error = load_error("\n\nremote_network.add_local_address(\"192.0.2.0/33\")\n")
    assert_equal([main_file, 3], [error.file, error.line])
    assert_match(/remote_network\.add_local_address should be an IP address or a CIDR network but was "192\.0\.2\.0\/33"/,
                 error.message)
    error = load_error("remote_network.add_remote_address(42)\n")
    assert_match(/add_remote_address should be an IP address/, error.message)
  end
end
