# Sendmail Compatible (spec applicable-conditions.md §5.4) and the socket
# table lookup behind it: the server side found from the MTA's
# {daemon_addr} or by the client's address and port, the name cache, {i}.
require "helper"
require "fake-condition-context"
require "socket"

class TestSendmailCompatible < Test::Unit::TestCase
  include ConfigurationTestHelper
  include ConditionTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  SocketTable = Milter::Manager::SocketTable
  POSTFIX = { "v" => "Postfix 3.7.11", "j" => "mx.example.com" }

  def tables
    [fixture_path("socket-table", "tcp"), fixture_path("socket-table", "tcp6")]
  end

  def little_endian
    omit("the fixtures are a little-endian host's tables") unless [1].pack("L") == [1].pack("V")
  end

  # client address, port -> server side or nil
  LOOKUPS = {
    "IPv4, ESTABLISHED (TIME_WAIT and LISTEN lines skipped)" => ["203.0.113.5", 40000, ["192.0.2.10", 25]],
    "IPv4 loopback" => ["127.0.0.1", 40000, ["127.0.0.1", 3306]],
    "IPv4, other port" => ["203.0.113.5", 40001, nil],
    "IPv6" => ["2001:db8::99", 50000, ["2001:db8::25", 25]],
    "IPv4 client of a dual-stack listener" => ["198.51.100.7", 41000, ["192.0.2.10", 25]],
    "the same as IPv4-mapped" => ["::ffff:198.51.100.7", 41000, ["192.0.2.10", 25]],
    "not connected" => ["192.0.2.99", 25, nil],
  }

  data(LOOKUPS)
  def test_lookup((client, port, expected))
    little_endian
    found = SocketTable.lookup(IPAddr.new(client), port, tables)
    assert_equal(expected, found && [found[0].to_s, found[1]])
  end

  def test_decode_endpoint
    little_endian
    assert_equal([[IPAddr.new("127.0.0.1"), 25], [IPAddr.new("::1"), 587], nil, nil],
                 ["0100007F:0019", "00000000000000000000000001000000:024B", "0100007F", "XYZ:0019"].map do |text|
                   SocketTable.decode_endpoint(text)
                 end)
  end

  # A real connection on loopback, found in this host's own table.
  def test_lookup_in_the_kernel_table
    omit("no /proc/net/tcp") unless File.exist?("/proc/net/tcp")
    server = TCPServer.new("127.0.0.1", 0)
    client = TCPSocket.new("127.0.0.1", server.addr[1])
    accepted = server.accept
    client_port = client.addr[1]
    assert_equal(["127.0.0.1", server.addr[1]],
                 SocketTable.lookup(IPAddr.new("127.0.0.1"), client_port).then { |ip, port| [ip.to_s, port] })
  ensure
    [accepted, client, server].each { |socket| socket&.close }
  end

  # The bundled configuration whose helper reads the fixture tables and
  # names addresses with resolver (the helper is reached through the
  # loader the stopper block belongs to).
  def configuration_with(resolver)
    configuration = load_bundled
    loader_words = configuration.find_applicable_condition("Sendmail Compatible")
                                .stoppers[:connect].first.binding.receiver
    loader_words.sendmail_compatible.socket_tables = tables
    loader_words.sendmail_compatible.resolver = resolver
    configuration
  end

  def connect(configuration, macros, address)
    context = FakeConditionContext.new.enter(:connect, macros)
    stopped = stop?(configuration, "Sendmail Compatible", :connect, context, "client.example.net", address)
    [stopped, context.stage_macros]
  end

  def names
    { "192.0.2.10" => "mx.example.com", "2001:db8::25" => "mx6.example.com" }
  end

  def test_daemon_addr_from_the_mta
    configuration = configuration_with(->(address) { names.fetch(address) })
    # the client is in the fixture table too: not read when the MTA said
    assert_equal([false, POSTFIX.merge("daemon_addr" => "192.0.2.10", "if_addr" => "192.0.2.10",
                                       "if_name" => "mx.example.com")],
                 connect(configuration, POSTFIX.merge("daemon_addr" => "192.0.2.10"),
                         FakeSocketAddress.ipv4("203.0.113.5", 40000)))
  end

  def test_found_in_the_socket_table
    little_endian
    configuration = configuration_with(->(address) { names.fetch(address) })
    assert_equal([false, POSTFIX.merge("if_addr" => "2001:db8::25", "daemon_port" => "25",
                                       "if_name" => "mx6.example.com")],
                 connect(configuration, POSTFIX, FakeSocketAddress.ipv6("2001:db8::99", 50000)))
  end

  def test_macros_the_mta_sent_are_kept
    configuration = configuration_with(->(_address) { flunk("no lookup needed") })
    macros = POSTFIX.merge("if_addr" => "192.0.2.1", "if_name" => "a.example", "daemon_port" => "587")
    assert_equal([false, macros], connect(configuration, macros, FakeSocketAddress.ipv4("203.0.113.5", 40000)))
  end

  def test_not_postfix
    configuration = configuration_with(->(_address) { flunk("not for Sendmail") })
    macros = { "v" => "8.17.1", "daemon_addr" => "192.0.2.10" }
    assert_equal([false, macros], connect(configuration, macros, FakeSocketAddress.ipv4("203.0.113.5", 40000)))
  end

  def test_unix_and_unfound_clients_get_nothing
    configuration = configuration_with(->(_address) { flunk("nothing to resolve") })
    assert_equal([[false, POSTFIX], [false, POSTFIX]],
                 [connect(configuration, POSTFIX, FakeSocketAddress.unix),
                  connect(configuration, POSTFIX, FakeSocketAddress.ipv4("192.0.2.99", 1))])
  end

  def test_name_failure_is_logged_once_and_cached
    calls = 0
    configuration = configuration_with(->(_address) { calls += 1; raise Resolv::ResolvError, "no name" })
    2.times do
      assert_equal([false, POSTFIX.merge("daemon_addr" => "192.0.2.10", "if_addr" => "192.0.2.10")],
                   connect(configuration, POSTFIX.merge("daemon_addr" => "192.0.2.10", "daemon_port" => nil).compact,
                           FakeSocketAddress.unix))
    end
    assert_equal([1, [[:warning, "[sendmail-compatible][warning] can't resolve server name: 192.0.2.10: no name"]]],
                 [calls, @log_lines.select { |_, message| message.start_with?("[sendmail-compatible]") }])
  end

  def test_name_cache_is_emptied_when_full
    calls = []
    helper = Milter::Manager::SendmailCompatible.new
    helper.resolver = ->(address) { calls << address; "h#{address}" }
    addresses = (0..Milter::Manager::SendmailCompatible::CACHE_SIZE).map { |i| "10.0.#{i / 256}.#{i % 256}" }
    addresses.each { |address| helper.server_name(address) }
    helper.server_name(addresses[0])
    helper.server_name(addresses[-1])
    assert_equal(addresses + [addresses[0]], calls)
  end

  def test_queue_id_at_mail_from
    configuration = load_bundled
    answers = [POSTFIX, POSTFIX.merge("i" => "4ABC"), { "v" => "8.17.1" }].map do |macros|
      context = FakeConditionContext.new.enter(:connect, macros).enter(:envelope_from, macros.slice("i"))
      [stop?(configuration, "Sendmail Compatible", :envelope_from, context, "<a@example.com>"), context["i"]]
    end
    assert_equal([[false, "dummy-id"], [false, "4ABC"], [false, nil]], answers)
  end
end

class TestAuthentication < Test::Unit::TestCase
  include ConfigurationTestHelper
  include ConditionTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  # MAIL FROM macros, [Authenticated stops?, Unauthenticated stops?]
  CASES = {
    "no auth macros" => [{ "i" => "4ABC" }, [true, false]],
    "auth_type" => [{ "{auth_type}" => "PLAIN" }, [false, true]],
    "auth_authen" => [{ "auth_authen" => "alice" }, [false, true]],
    "both" => [{ "auth_type" => "LOGIN", "auth_authen" => "alice" }, [false, true]],
    "auth_author alone does not count" => [{ "auth_author" => "alice" }, [true, false]],
  }

  data(CASES)
  def test_bundled_stoppers((macros, expected))
    configuration = load_bundled
    context = FakeConditionContext.new.enter(:envelope_from, macros)
    assert_equal(expected, ["Authenticated", "Unauthenticated"].map { |name|
                   stop?(configuration, name, :envelope_from, context, "<a@example.com>")
                 })
  end
end
