# Dnsbl - the `dnsbl` helper of the "DNSBL Listed" and "Not DNSBL
# Listed" conditions (applicable-conditions.md §5.8): its settings.
#
#   dnsbl.add_service("zen.spamhaus.org", "127.0.0.10/31")  (expected
#                     answer: an address or network; nil: any answer)
#   dnsbl.name_server = "127.0.0.1"   dnsbl.name_servers = [...]
#                     (ADDRESS, ADDRESS:PORT or [IPV6]:PORT; only the
#                     first is asked; unset: the system's resolv.conf)
#   dnsbl.timeout = 5
#
# The lookups themselves are native (milter/manager/milter-manager-
# dnsbl.c): every zone asked at once on the session's event loop, so a
# slow blocklist delays only its own session. A condition takes part
# with condition.define_dnsbl_stopper(dnsbl, stop_when_listed: BOOL),
# and the engine gets these settings (#to_native) once the whole
# configuration is loaded, so milter-manager.local.conf can still
# change them.
require "ipaddr"

module Milter
  module Manager
    class Dnsbl
      Service = Struct.new(:zone, :expected) # expected: the text, or nil

      DEFAULT_SERVICES = [
        ["zen.spamhaus.org", "127.0.0.10/31"],
        ["dnsbl.sorbs.net", "127.0.0.10"],
        ["bl.spamcop.net", "127.0.0.2"],
        ["b.barracudacentral.org", "127.0.0.2"],
      ].freeze
      DEFAULT_TIMEOUT = 5.0
      LABEL = /\A[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\z/

      attr_reader :services, :timeout

      def initialize
        @services = []
        @name_servers = []
        @timeout = DEFAULT_TIMEOUT
        DEFAULT_SERVICES.each { |zone, expected| add_service(zone, expected) }
      end

      def add_service(zone, expected = nil)
        zone = ValueRules.string("dnsbl.add_service zone", zone, nil_allowed: false)
        labels = zone.chomp(".").split(".", -1)
        if zone.length > 200 || labels.empty? || !labels.all? { |label| LABEL.match?(label) }
          raise InvalidValue, "dnsbl.add_service: invalid zone #{zone.inspect}"
        end
        if expected
          expected = ValueRules.string("dnsbl.add_service expected", expected.to_s, nil_allowed: false)
          Dnsbl.ipv4_network("dnsbl.add_service expected", expected)
        end
        @services << Service.new(zone.downcase, expected)
        self
      end

      def name_servers
        @name_servers.dup
      end

      def name_servers=(servers)
        @name_servers = Array(servers).map { |server| Dnsbl.name_server(server.to_s) }
      end

      def name_server=(server)
        self.name_servers = [server]
      end

      def timeout=(seconds)
        @timeout = ValueRules.seconds("dnsbl.timeout", seconds)
      end

      # What the engine's native condition needs (binding/ruby/milter-
      # manager-ruby-conditions.c).
      def to_native(stop_when_listed)
        { "kind" => "dnsbl", "zones" => @services.map { |service| [service.zone, service.expected] },
          "name_server" => @name_servers.first, "timeout" => @timeout.to_f,
          "stop_when_listed" => stop_when_listed ? true : false }
      end

      # "192.0.2.1", "192.0.2.1:5353", "::1", "[::1]:5353" -> the text
      def self.name_server(text)
        address = text[/\A\[([^\]]+)\](?::\d+)?\z/, 1] ||
                  (text.count(":") == 1 ? text.split(":").first : text)
        port = text[/(?:\]|\A[^:\[\]]+):(\d+)\z/, 1]
        IPAddr.new(address)
        raise IPAddr::InvalidAddressError if port && !(1..65535).cover?(port.to_i)
        text
      rescue IPAddr::Error
        raise InvalidValue, "dnsbl.name_servers should be ADDRESS, ADDRESS:PORT or " \
                            "[IPV6]:PORT but was #{text.inspect}"
      end

      def self.ipv4_network(target, text)
        network = IPAddr.new(text)
        return network if network.ipv4?
        raise IPAddr::InvalidAddressError
      rescue IPAddr::Error
        raise InvalidValue, "#{target} should be an IPv4 address or network but was #{text.inspect}"
      end
    end
  end
end
