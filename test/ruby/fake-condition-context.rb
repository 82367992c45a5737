# fake-condition-context - what the built-in conditions' tests give to
# stoppers in place of the engine's objects: a child context with the
# members of spec applicable-conditions.md §3 and socket addresses with
# those of §4, plus the helper that runs a condition's stoppers.
#
# Macros are kept per stage as the engine does: the MTA's definition for
# a stage replaces that stage's whole set (and so whatever a condition
# stored in it), lookups see the latest stage first. That is the
# behaviour that made the original's recipient conditions depend on the
# last recipient.
require "ipaddr"

class FakeConditionContext
  STAGES = [:connect, :helo, :envelope_from, :envelope_recipient, :data,
            :header, :end_of_header, :body, :end_of_message]

  attr_reader :name, :children, :mail_transaction_shelf
  attr_accessor :n_processing_sessions, :status

  def initialize(name = "milter", n_processing_sessions: 1, children: nil)
    @name = name
    @n_processing_sessions = n_processing_sessions
    @macros = {}
    @stage = :connect
    @status = nil
    @children = children || { name => self }
    @children[name] ||= self
    @mail_transaction_shelf = Shelf.new
  end

  # The MTA's macros for stage (replaces that stage's set); MAIL FROM
  # starts a new mail transaction.
  def enter(stage, macros = {})
    raise ArgumentError, "unknown stage #{stage}" unless STAGES.include?(stage)
    @stage = stage
    @mail_transaction_shelf = Shelf.new if stage == :envelope_from
    @macros[stage] = macros.to_h { |key, value| [FakeConditionContext.macro_name(key), value] }
    self
  end

  def [](name)
    name = FakeConditionContext.macro_name(name)
    STAGES.reverse_each do |stage|
      set = @macros[stage]
      return set[name] if set&.key?(name)
    end
    nil
  end

  def []=(name, value)
    (@macros[@stage] ||= {})[FakeConditionContext.macro_name(name)] = value
  end

  # The macros stored for the current stage (what goes with its event).
  def stage_macros
    (@macros[@stage] || {}).dup
  end

  def self.macro_name(name)
    name.to_s.sub(/\A\{(.*)\}\z/, '\1')
  end

  def reject?; @status == :reject; end
  def temporary_failure?; @status == :temporary_failure; end
  def accept?; @status == :accept; end
  def discard?; @status == :discard; end
  def quitted?; false; end

  def postfix?
    /postfix/i.match?(self["v"].to_s)
  end

  def authenticated?
    !self["auth_type"].nil? || !self["auth_authen"].nil?
  end

  # Values go through Marshal, as the engine serializes them.
  class Shelf
    def initialize
      @values = {}
    end

    def [](key)
      value = @values[key]
      value && Marshal.load(value)
    end

    def []=(key, value)
      @values[key] = Marshal.dump(value)
    end

    def each
      @values.each { |key, value| yield(key, Marshal.load(value)) }
    end
  end
end

# The socket addresses of §4.
class FakeSocketAddress
  attr_reader :address, :port, :path

  def self.ipv4(address, port = 40000)
    new(:ipv4, address: address, port: port)
  end

  def self.ipv6(address, port = 40000)
    new(:ipv6, address: address, port: port)
  end

  def self.unix(path = "/run/mta.sock")
    new(:unix, path: path)
  end

  def self.unknown
    new(:unknown)
  end

  def initialize(family, address: nil, port: nil, path: nil)
    @family = family
    @address = address
    @port = port
    @path = path
  end

  def ipv4?; @family == :ipv4; end
  def ipv6?; @family == :ipv6; end
  def unix?; @family == :unix; end
  def unknown?; @family == :unknown; end

  def to_ip_address
    return nil unless ipv4? || ipv6?
    @ip_address ||= IPAddr.new(@address)
  end

  LOCAL_IPV4 = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map { |n| IPAddr.new(n) }
  LOCAL_IPV6 = ["::1", "fe80::/10"].map { |n| IPAddr.new(n) }

  def local?
    return @local if defined?(@local)
    @local = compute_local
  end

  def compute_local
    case @family
    when :ipv4 then LOCAL_IPV4.any? { |network| network.include?(to_ip_address) }
    when :ipv6 then LOCAL_IPV6.any? { |network| network.include?(to_ip_address) }
    when :unix then true
    else false
    end
  end

  def to_s
    case @family
    when :ipv4 then "inet:#{@port}@[#{@address}]"
    when :ipv6 then "inet6:#{@port}@[#{@address}]"
    when :unix then "unix:#{@path}"
    else "unknown"
    end
  end
end

module ConditionTestHelper
  def bundled_conf
    File.expand_path("../../conf", __dir__)
  end

  # The bundled configuration, with extra text as milter-manager.local.conf
  # (needs setup_work_dir).
  def load_bundled(local = nil)
    write("milter-manager.local.conf", local) if local
    Milter::Manager::ConfigurationLoader.load(local ? [@work_dir, bundled_conf] : [bundled_conf])
  end

  # The stoppers of one stage of a condition: the one place that knows
  # how a definition keeps them.
  def stoppers(configuration, condition_name, stage)
    condition = configuration.find_applicable_condition(condition_name)
    assert_not_nil(condition, "condition #{condition_name}")
    condition.stoppers[stage]
  end

  # Runs them as the engine does: OR, first true wins.
  def stop?(configuration, condition_name, stage, *arguments)
    stoppers(configuration, condition_name, stage).any? { |stopper| stopper.call(*arguments) }
  end
end
