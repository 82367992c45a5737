# Dnsbl - the `dnsbl` helper of the "DNSBL Listed" and "Not DNSBL
# Listed" conditions: is the client's IPv4 address in a DNS blocklist?
#
#   dnsbl.add_service("zen.spamhaus.org", "127.0.0.10/31")  (expected
#                     answer: an address or network; nil: any answer)
#   dnsbl.name_server = "127.0.0.1"   dnsbl.name_servers = [...]
#                     (ADDRESS, ADDRESS:PORT or [IPV6]:PORT; only the
#                     first is asked)
#   dnsbl.timeout = 5
#
# The rules are pure functions: Dnsbl.query_name (the reversed address
# under a zone; nil for anything but IPv4, which is never listed) and
# Dnsbl.listed_answer? (does an answer match the service's expectation).
# dnsbl.lookup(socket_address) starts a DnsblLookup: every zone queried
# at once, answered by an event loop that watches its socket.
#
# Not wired into sessions yet: a connect stopper must answer at once,
# and waiting for DNS there would block the event loop, so the
# conditions stay reported as not supported until the engine can let a
# stopper answer later (see doc/applicable-conditions.md).
require "resolv"

module Milter
  module Manager
    class Dnsbl
      Service = Struct.new(:zone, :expected) # expected: IPNetwork or nil

      DEFAULT_SERVICES = [
        ["zen.spamhaus.org", "127.0.0.10/31"],
        ["dnsbl.sorbs.net", "127.0.0.10"],
        ["bl.spamcop.net", "127.0.0.2"],
        ["b.barracudacentral.org", "127.0.0.2"],
      ].freeze
      DEFAULT_TIMEOUT = 5.0

      attr_reader :services, :timeout

      def initialize
        @services = []
        @name_servers = nil
        @timeout = DEFAULT_TIMEOUT
        DEFAULT_SERVICES.each { |zone, expected| add_service(zone, expected) }
      end

      def add_service(zone, expected = nil)
        zone = ValueRules.string("dnsbl.add_service zone", zone, nil_allowed: false)
        begin
          DnsMessage.encode_name(zone)
        rescue ArgumentError => error
          raise InvalidValue, "dnsbl.add_service: #{error.message}"
        end
        expected &&= Dnsbl.network("dnsbl.add_service expected", expected)
        @services << Service.new(zone.downcase, expected)
        self
      end

      # The system resolver's (resolv.conf) unless set.
      def name_servers
        @name_servers || Resolv::DNS::Config.default_config_hash[:nameserver] || []
      end

      def name_servers=(addresses)
        @name_servers = Array(addresses).map do |server|
          address, _port = DnsblLookup.split_server(server)
          Dnsbl.network("dnsbl.name_servers", address)
          server.to_s
        end
      end

      def name_server=(address)
        self.name_servers = [address]
      end

      def timeout=(seconds)
        @timeout = ValueRules.seconds("dnsbl.timeout", seconds)
      end

      # -> a started DnsblLookup, or nil when there is nothing to ask
      # (not IPv4, no service, no name server): not listed.
      def lookup(socket_address, now = Process.clock_gettime(Process::CLOCK_MONOTONIC))
        return nil unless socket_address.ipv4?
        ip = socket_address.to_ip_address
        server = name_servers.first
        return nil if ip.nil? || server.nil? || @services.empty?
        queries = @services.map { |service| [Dnsbl.query_name(ip, service.zone), service.expected] }
        DnsblLookup.new(queries, server, now + @timeout)
      end

      # 192.0.2.1 under zen.spamhaus.org -> "1.2.0.192.zen.spamhaus.org"
      def self.query_name(ip, zone)
        ip = ip.native if ip.ipv6? && ip.ipv4_mapped?
        return nil unless ip.ipv4?
        "#{ip.to_s.split(".").reverse.join(".")}.#{zone}"
      end

      # answers: the A records; expected: IPNetwork or nil (any answer).
      def self.listed_answer?(answers, expected)
        answers.any? { |answer| expected.nil? || expected.include?(IPAddr.new(answer)) }
      end

      def self.network(target, value)
        IPNetwork.new(value.is_a?(IPAddr) ? value : ValueRules.string(target, value, nil_allowed: false))
      rescue IPAddr::Error
        raise InvalidValue, "#{target} should be an IP address or a network but was #{value.inspect}"
      end
    end
  end
end
