# DNSBL (spec applicable-conditions.md §5.8), the parts that do not need
# the engine: the query name and answer rules, the DNS messages, the
# helper's settings, and DnsblLookup against a DNS server of our own on
# loopback (listed, not listed, a zone that never answers, no server),
# driven here by IO.select as an event loop would drive it.
require "helper"
require "fake-condition-context"
require "socket"

class TestDnsbl < Test::Unit::TestCase
  include ConfigurationTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  Dnsbl = Milter::Manager::Dnsbl
  DnsMessage = Milter::Manager::DnsMessage
  DnsblLookup = Milter::Manager::DnsblLookup

  def test_query_name
    [["192.0.2.1", "zen.example.org", "1.2.0.192.zen.example.org"],
     ["::ffff:203.0.113.9", "bl.example", "9.113.0.203.bl.example"],
     ["2001:db8::1", "bl.example", nil]].each do |address, zone, expected|
      assert_equal(expected, Dnsbl.query_name(IPAddr.new(address), zone), address)
    end
  end

  def test_listed_answer
    network = Milter::Manager::IPNetwork.new("127.0.0.10/31")
    [[["127.0.0.10"], network, true], [["127.0.0.11"], network, true],
     [["127.0.0.12"], network, false], [["127.0.0.2", "127.0.0.11"], network, true],
     [[], network, false], [["127.0.0.4"], nil, true], [[], nil, false]].each do |answers, expected, listed|
      assert_equal(listed, Dnsbl.listed_answer?(answers, expected), [answers, expected&.address].inspect)
    end
  end

  def test_query_bytes
    assert_equal("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" \
                 "\x01" "1\x02" "bl\x07" "example\x00" "\x00\x01\x00\x01".b,
                 DnsMessage.query(0x1234, "1.bl.example"))
    assert_raise(ArgumentError) { DnsMessage.query(1, "a..b") }
  end

  QUESTION = "\x01" "1\x02" "bl\x07" "example\x00" "\x00\x01\x00\x01".b

  def response(id, rcode, answers, question: QUESTION, flags: 0x8180)
    header = [id, flags | rcode, 1, answers.size, 0, 0].pack("n6")
    header + question + answers.join.b
  end

  def a_record(address)
    # a pointer to the question's name, A, IN, TTL, length 4
    [0xc00c, 1, 1, 300, 4].pack("nnnNn") + address.split(".").map(&:to_i).pack("C4")
  end

  def test_responses
    cname = [0xc00c, 5, 1, 300, 2, 0xc00c].pack("nnnNnn")
    aaaa = [0xc00c, 28, 1, 300, 16].pack("nnnNn") + "\0" * 16
    cases = {
      "NXDOMAIN" => [response(7, 3, []), { id: 7, rcode: 3, answers: [] }],
      "one A" => [response(7, 0, [a_record("127.0.0.2")]), { id: 7, rcode: 0, answers: ["127.0.0.2"] }],
      "CNAME, AAAA, then A" => [response(8, 0, [cname, aaaa, a_record("127.0.0.10")]),
                                { id: 8, rcode: 0, answers: ["127.0.0.10"] }],
      "two A" => [response(9, 0, [a_record("127.0.0.2"), a_record("127.0.0.4")]),
                  { id: 9, rcode: 0, answers: ["127.0.0.2", "127.0.0.4"] }],
      "a query, not a response" => [response(7, 0, [], flags: 0x0100), nil],
      "short header" => ["\x00\x07\x81".b, nil],
      "answer cut short" => [response(7, 0, [a_record("127.0.0.2")])[0..-3], nil],
      "question cut short" => [response(7, 0, [])[0..14], nil],
    }
    cases.each do |label, (packet, expected)|
      assert_equal(expected, DnsMessage.response(packet), label)
    end
  end

  def test_settings
    dnsbl = Dnsbl.new
    assert_equal([["zen.spamhaus.org", 0x7f00000a], ["dnsbl.sorbs.net", 0x7f00000a],
                  ["bl.spamcop.net", 0x7f000002], ["b.barracudacentral.org", 0x7f000002]],
                 dnsbl.services.map { |service| [service.zone, service.expected.address] })
    dnsbl.add_service("BL.Example", nil)
    dnsbl.name_server = "127.0.0.1"
    dnsbl.timeout = 2
    assert_equal([["bl.example", nil], ["127.0.0.1"], 2.0],
                 [dnsbl.services.last.to_a, dnsbl.name_servers, dnsbl.timeout])
    assert_raise(Milter::Manager::InvalidValue) { dnsbl.add_service("a..b") }
    assert_raise(Milter::Manager::InvalidValue) { dnsbl.add_service("bl.example", "127.0.0.300") }
    assert_raise(Milter::Manager::InvalidValue) { dnsbl.name_servers = ["nameserver"] }
    assert_raise(Milter::Manager::InvalidValue) { dnsbl.timeout = 0 }
  end

  # A DNS server of our own: zone name => :listed (A 127.0.0.2),
  # :other (A 127.0.0.99), :nxdomain, :silent or :wrong_id (a listed
  # answer under another ID). Records what it got.
  class FakeDnsServer
    attr_reader :port, :received

    def initialize(zones)
      @zones = zones
      @socket = UDPSocket.new
      @socket.bind("127.0.0.1", 0)
      @port = @socket.addr[1]
      @received = Queue.new
      @thread = Thread.new { serve }
    end

    def serve
      loop do
        packet, (_, port, _, address) = @socket.recvfrom(512)
        name = question_name(packet)
        @received << name
        zone = @zones.keys.find { |key| name.end_with?(".#{key}") }
        reply(packet, @zones[zone], address, port)
      end
    rescue IOError
      nil
    end

    def question_name(packet)
      labels = []
      offset = 12
      while (length = packet.getbyte(offset)) && length > 0
        labels << packet.byteslice(offset + 1, length)
        offset += 1 + length
      end
      labels.join(".")
    end

    def reply(packet, behaviour, address, port)
      id = packet.unpack1("n")
      id ^= 1 if behaviour == :wrong_id
      question = packet.byteslice(12..)
      answers = { listed: ["127.0.0.2"], other: ["127.0.0.99"], wrong_id: ["127.0.0.2"] }.fetch(behaviour, [])
      return if behaviour == :silent
      rcode = behaviour == :nxdomain || behaviour.nil? ? 3 : 0
      records = answers.map do |answer|
        [0xc00c, 1, 1, 60, 4].pack("nnnNn") + answer.split(".").map(&:to_i).pack("C4")
      end
      @socket.send([id, 0x8180 | rcode, 1, records.size, 0, 0].pack("n6") + question + records.join, 0,
                   address, port)
    end

    def stop
      @socket.close
      @thread.join
    end
  end

  def with_server(zones)
    server = FakeDnsServer.new(zones)
    yield server
  ensure
    server&.stop
  end

  # The event loop: waits for the socket or the deadline.
  def drive(lookup)
    until lookup.result
      remaining = lookup.deadline - Process.clock_gettime(Process::CLOCK_MONOTONIC)
      ready = remaining > 0 && IO.select([lookup.socket], nil, nil, remaining)
      ready ? lookup.readable : lookup.expire
    end
    lookup.result
  end

  def dnsbl_for(server, zones, timeout: 2)
    dnsbl = Dnsbl.new
    dnsbl.services.clear
    zones.each { |zone, expected| dnsbl.add_service(zone, expected) }
    dnsbl.name_server = "127.0.0.1:#{server.port}"
    dnsbl.timeout = timeout
    dnsbl
  end

  CLIENT = FakeSocketAddress.ipv4("192.0.2.1")

  def test_listed_by_one_zone
    zones = { "a.example" => :nxdomain, "b.example" => :listed, "c.example" => :nxdomain }
    with_server(zones) do |server|
      dnsbl = dnsbl_for(server, [["a.example", nil], ["b.example", "127.0.0.2"], ["c.example", nil]])
      assert_equal(:listed, drive(dnsbl.lookup(CLIENT)))
      assert_include(["1.2.0.192.a.example", "1.2.0.192.b.example", "1.2.0.192.c.example"],
                     server.received.pop)
    end
  end

  def test_not_listed
    zones = { "a.example" => :nxdomain, "b.example" => :other }
    with_server(zones) do |server|
      dnsbl = dnsbl_for(server, [["a.example", nil], ["b.example", "127.0.0.2/31"]])
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      assert_equal(:not_listed, drive(dnsbl.lookup(CLIENT)))
      assert_operator(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 1.0,
                      "answered, not timed out")
    end
  end

  def test_zones_are_asked_at_once_and_a_silent_one_times_out
    zones = { "slow.example" => :silent, "a.example" => :nxdomain }
    with_server(zones) do |server|
      dnsbl = dnsbl_for(server, [["slow.example", nil], ["a.example", nil]], timeout: 0.3)
      lookup = dnsbl.lookup(CLIENT)
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      assert_equal(:not_listed, drive(lookup))
      elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
      assert_equal(["1.2.0.192.a.example", "1.2.0.192.slow.example"],
                   [server.received.pop, server.received.pop].sort)
      assert_operator(elapsed, :>=, 0.25)
      assert_operator(elapsed, :<, 1.5)
      assert_true(lookup.socket.closed?)
    end
  end

  def test_a_listed_answer_does_not_wait_for_a_silent_zone
    with_server("slow.example" => :silent, "b.example" => :listed) do |server|
      dnsbl = dnsbl_for(server, [["slow.example", nil], ["b.example", nil]], timeout: 3)
      started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      assert_equal(:listed, drive(dnsbl.lookup(CLIENT)))
      assert_operator(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 1.0)
    end
  end

  def test_no_server_there
    port = UDPSocket.new.tap { |socket| socket.bind("127.0.0.1", 0) }.then do |socket|
      socket.addr[1].tap { socket.close }
    end
    dnsbl = Dnsbl.new
    dnsbl.name_server = "127.0.0.1:#{port}"
    dnsbl.timeout = 2
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    assert_equal(:not_listed, drive(dnsbl.lookup(CLIENT)))
    assert_operator(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 1.5)
    assert_match(/\A\[dnsbl\]\[error\] 127\.0\.0\.1:#{port}: Connection refused/, @log_lines.map(&:last).grep(/dnsbl/).first.to_s)
  end

  def test_only_ipv4_clients_are_looked_up
    dnsbl = Dnsbl.new
    dnsbl.name_server = "127.0.0.1"
    assert_equal([nil, nil, nil], [FakeSocketAddress.ipv6("2001:db8::1"), FakeSocketAddress.unix,
                                   FakeSocketAddress.unknown].map { |address| dnsbl.lookup(address) })
  end

  def test_answers_with_an_unknown_id_are_dropped
    with_server("a.example" => :wrong_id) do |server|
      dnsbl = dnsbl_for(server, [["a.example", nil]], timeout: 0.3)
      assert_equal(:not_listed, drive(dnsbl.lookup(CLIENT)))
      assert_equal("1.2.0.192.a.example", server.received.pop)
    end
  end

  def test_split_server
    assert_equal([["127.0.0.1", 53], ["127.0.0.1", 5353], ["::1", 53], ["::1", 5353]],
                 ["127.0.0.1", "127.0.0.1:5353", "::1", "[::1]:5353"].map { |server| DnsblLookup.split_server(server) })
  end
end
