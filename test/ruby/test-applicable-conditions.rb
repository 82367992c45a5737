# define_applicable_condition's stoppers, the context they get
# (ChildContext over a fake of the engine's native context) and the
# socket addresses of a connect stopper (applicable-conditions.md §2-§4).
require "helper"

class TestApplicableConditions < Test::Unit::TestCase
  include ConfigurationTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  # The engine's context as the binding provides it, in plain Ruby.
  class FakeNative
    attr_reader :name, :macros, :shelf
    attr_accessor :status, :quitted, :others

    def initialize(name, macros = {}, shelf = {})
      @name = name
      @macros = macros
      @shelf = shelf
      @status = nil
      @quitted = false
      @others = {}
    end

    def macro(name)
      @macros[name.delete("{}")]
    end

    def set_macro(name, value)
      @macros[name.delete("{}")] = value
    end

    def quitted?
      @quitted
    end

    def find(name)
      name == @name ? self : @others[name]
    end

    def n_processing_sessions
      3
    end

    def shelf_get(key)
      @shelf[key]
    end

    def shelf_set(key, value)
      value.nil? ? @shelf.delete(key) : @shelf[key] = value
    end

    def shelf_keys
      @shelf.keys
    end
  end

  def context(native = FakeNative.new("a"))
    Milter::Manager::ChildContext.new(native)
  end

  def condition(text)
    load_text(text).find_applicable_condition("C")
  end

  def test_every_stage_records_its_stoppers
    stages = Milter::Manager::ApplicableConditionDefinition::STAGES
    c = condition(<<~CONF)
      define_applicable_condition("C") do |condition|
        #{stages.map { |stage| "condition.define_#{stage}_stopper { |*| true }" }.join("\n")}
      end
    CONF
    assert_equal(stages, c.stages)
    assert_equal(stages.map(&:to_s), Milter::Manager::Embedded.conditions(c.instance_variable_get(:@configuration)).first.last)
  end

  def test_condition_without_stopper_is_not_given_to_the_engine
    configuration = load_text('define_applicable_condition("C") { |c| c.description = "none" }')
    assert_equal([], Milter::Manager::Embedded.conditions(configuration))
  end

  def test_first_true_stops_and_the_rest_are_not_called
    $calls = []
    c = condition(<<~CONF)
      define_applicable_condition("C") do |condition|
        condition.define_helo_stopper { |context, fqdn| $calls << 1; false }
        condition.define_helo_stopper { |context, fqdn| $calls << 2; fqdn == "x" }
        condition.define_helo_stopper { |context, fqdn| $calls << 3; true }
      end
    CONF
    assert_equal([true, [1, 2]], [c.stop?(:helo, context, ["x"]), $calls])
    $calls = []
    assert_equal([true, [1, 2, 3]], [c.stop?(:helo, context, ["y"]), $calls])
    assert_false(c.stop?(:connect, context, ["host", nil]), "no stopper for the stage")
  end

  def test_raising_stopper_is_logged_and_does_not_stop
    c = condition(<<~CONF)
      define_applicable_condition("C") do |condition|
        condition.define_data_stopper { |context| raise "boom" }
        condition.define_data_stopper { |context| nil }
      end
    CONF
    assert_false(c.stop?(:data, context, []))
    errors = @log_lines.select { |level, _| level == :error }.map(&:last)
    assert_equal(1, errors.size)
    assert_match(/\A\[applicable-condition\]\[stopper\]\[error\] C: data: boom \(RuntimeError\)/, errors.first)
  end

  def test_body_stopper_gets_the_documented_arguments
    c = condition(<<~CONF)
      define_applicable_condition("C") do |condition|
        condition.define_body_stopper { |context, chunk, extra| $got = [context.name, chunk, extra]; false }
      end
    CONF
    c.stop?(:body, context, ["chunk"])
    assert_equal(["a", "chunk", nil], $got)
  end

  def test_embedded_stop_builds_the_socket_address_for_connect
    c = condition(<<~CONF)
      define_applicable_condition("C") do |condition|
        condition.define_connect_stopper { |context, host, address| $got = [host, address.to_s, address.local?]; true }
        condition.define_envelope_recipient_stopper { |context, recipient| $got = recipient; false }
      end
    CONF
    assert_true(Milter::Manager::Embedded.stop(c, "connect", FakeNative.new("a"),
                                               ["[10.1.2.3]", "inet", "10.1.2.3", 25]))
    assert_equal(["[10.1.2.3]", "inet:25@[10.1.2.3]", true], $got)
    assert_false(Milter::Manager::Embedded.stop(c, "envelope-recipient", FakeNative.new("a"), ["<r@x>"]))
    assert_equal("<r@x>", $got)
  end

  def test_stop_first_asks_conditions_in_order_with_one_context
    configuration = load_text(<<~CONF)
      define_applicable_condition("A") { |c| c.define_helo_stopper { |context, fqdn| $seen << [:a, context.object_id]; false } }
      define_applicable_condition("B") { |c| c.define_helo_stopper { |context, fqdn| $seen << [:b, context.object_id]; fqdn == "x" } }
      define_applicable_condition("C") { |c| c.define_helo_stopper { |context, fqdn| $seen << [:c, context.object_id]; true } }
    CONF
    conditions = %w[A B C].map { |name| configuration.find_applicable_condition(name) }
    $seen = []
    assert_equal(1, Milter::Manager::Embedded.stop_first(conditions, :helo, FakeNative.new("a"), ["x"]))
    assert_equal([:a, :b], $seen.map(&:first))
    assert_equal(1, $seen.map(&:last).uniq.size, "one context for the call")
    $seen = []
    assert_equal(2, Milter::Manager::Embedded.stop_first(conditions, "helo", FakeNative.new("a"), ["y"]))
    assert_nil(Milter::Manager::Embedded.stop_first(conditions[0, 1], :helo, FakeNative.new("a"), ["x"]))
  end

  def test_redefinition_keeps_only_the_description
    configuration = load_text(<<~CONF)
      define_applicable_condition("C") { |c| c.description = "d"; c.define_connect_stopper { |*| true } }
      define_applicable_condition("C") { |c| c.define_helo_stopper { |*| true } }
    CONF
    assert_equal([["C", "d", [:helo]]],
                 Milter::Manager::Embedded.conditions(configuration).map { |name, description, c, _| [name, description, c.stages] })
  end

  def test_stopper_needs_a_block
    load_error('define_applicable_condition("C") { |c| c.define_helo_stopper }')
  end

  def test_context_macros
    native = FakeNative.new("a", "auth_type" => "PLAIN", "v" => "Postfix 3.7.11")
    ctx = context(native)
    assert_equal(["PLAIN", "PLAIN", nil], [ctx["auth_type"], ctx["{auth_type}"], ctx[:nothing]])
    ctx["{stress}"] = "yes"
    ctx["n"] = 1
    assert_equal(["yes", "1"], [native.macros["stress"], native.macros["n"]])
    assert_true(ctx.postfix?)
    assert_true(ctx.authenticated?)
  end

  def test_postfix_and_authenticated_table
    [[{}, false, false],
     [{ "v" => "Sendmail 8.17" }, false, false],
     [{ "v" => "postfix" }, true, false],
     [{ "auth_authen" => "user" }, false, true],
     [{ "auth_author" => "user" }, false, false]].each do |macros, postfix, authenticated|
      ctx = context(FakeNative.new("a", macros))
      assert_equal([postfix, authenticated], [ctx.postfix?, ctx.authenticated?], macros.inspect)
    end
  end

  def test_context_statuses_and_children
    native = FakeNative.new("a")
    other = FakeNative.new("b")
    native.others["b"] = other
    ctx = context(native)
    [["reject", [true, false, false, false]],
     ["temporary-failure", [false, true, false, false]],
     ["accept", [false, false, true, false]],
     ["discard", [false, false, false, true]],
     [nil, [false, false, false, false]]].each do |status, expected|
      other.status = status
      b = ctx.children["b"]
      assert_equal(expected, [b.reject?, b.temporary_failure?, b.accept?, b.discard?], status.inspect)
    end
    other.quitted = true
    assert_true(ctx.children["b"].quitted?)
    assert_nil(ctx.children["c"])
    assert_equal("a", ctx.children["a"].name)
    assert_equal(3, ctx.n_processing_sessions)
  end

  def test_mail_transaction_shelf_keeps_any_value
    native = FakeNative.new("a")
    shelf = context(native).mail_transaction_shelf
    shelf["recipients"] = ["<a@x>", "<b@x>"]
    shelf[:matched] = true
    other_view = context(FakeNative.new("b", {}, native.shelf)).mail_transaction_shelf
    assert_equal(["<a@x>", "<b@x>"], other_view["recipients"])
    assert_equal([["matched", true], ["recipients", ["<a@x>", "<b@x>"]]], other_view.to_a)
    assert_true(other_view.delete("matched"))
    assert_false(shelf.key?("matched"))
    assert_nil(shelf["nothing"])
  end

  def test_socket_addresses
    build = Milter::SocketAddress.method(:build)
    [[["inet", "127.0.0.1", 25], "inet:25@[127.0.0.1]", true, :ipv4?],
     [["inet", "10.0.0.1", 1], "inet:1@[10.0.0.1]", true, :ipv4?],
     [["inet", "172.31.255.255", 1], "inet:1@[172.31.255.255]", true, :ipv4?],
     [["inet", "172.32.0.1", 1], "inet:1@[172.32.0.1]", false, :ipv4?],
     [["inet", "192.168.1.1", 1], "inet:1@[192.168.1.1]", true, :ipv4?],
     [["inet", "169.254.1.1", 1], "inet:1@[169.254.1.1]", false, :ipv4?],
     [["inet", "203.0.113.5", 1], "inet:1@[203.0.113.5]", false, :ipv4?],
     [["inet6", "::1", 25], "inet6:25@[::1]", true, :ipv6?],
     [["inet6", "fe80::1", 25], "inet6:25@[fe80::1]", true, :ipv6?],
     [["inet6", "fc00::1", 25], "inet6:25@[fc00::1]", false, :ipv6?],
     [["inet6", "2001:db8::1", 25], "inet6:25@[2001:db8::1]", false, :ipv6?],
     [["inet6", "febf::1", 25], "inet6:25@[febf::1]", true, :ipv6?],
     [["inet6", "fec0::1", 25], "inet6:25@[fec0::1]", false, :ipv6?],
     [["inet6", "fe8::1", 25], "inet6:25@[fe8::1]", false, :ipv6?],
     [["inet6", "0:0:0:0:0:0:0:1", 25], "inet6:25@[0:0:0:0:0:0:0:1]", true, :ipv6?],
     [["inet", "127.255.0.1", 25], "inet:25@[127.255.0.1]", true, :ipv4?],
     [["inet", "11.0.0.1", 25], "inet:25@[11.0.0.1]", false, :ipv4?],
     [["inet", "192.169.0.1", 25], "inet:25@[192.169.0.1]", false, :ipv4?],
     [["unix", "/run/s.sock", 0], "unix:/run/s.sock", true, :unix?],
     [["unknown", nil, 0], "unknown", false, :unknown?]].each do |arguments, text, local, kind|
      address = build.call(*arguments)
      assert_equal([text, local], [address.to_s, address.local?], arguments.inspect)
      [:ipv4?, :ipv6?, :unix?, :unknown?].each do |predicate|
        assert_equal(predicate == kind, address.public_send(predicate), "#{arguments.inspect} #{predicate}")
      end
    end
    assert_equal(IPAddr.new("10.0.0.1"), build.call("inet", "10.0.0.1", 1).to_ip_address)
    assert_nil(build.call("unix", "/x", 0).to_ip_address)
    assert_nil(build.call("unknown", nil, 0).to_ip_address)
    assert_equal("/x", build.call("unix", "/x", 0).path)
    assert_equal(["10.0.0.1", 7], [build.call("inet", "10.0.0.1", 7).address, build.call("inet", "10.0.0.1", 7).port])
  end
end
