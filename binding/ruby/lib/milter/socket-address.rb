# Milter::SocketAddress - the client address a connect stopper gets
# (applicable-conditions.md §4): IPv4, IPv6, Unix and Unknown, all
# answering ipv4?, ipv6?, unix?, unknown?, local?, to_ip_address, to_s.
require "ipaddr"

module Milter
  module SocketAddress
    module_function

    # From the engine's connect arguments: family :inet, :inet6, :unix
    # (or their names) or anything else (unknown).
    def build(family, address, port)
      case family
      when :inet, "inet" then IPv4.new(address, port)
      when :inet6, "inet6" then IPv6.new(address, port)
      when :unix, "unix" then Unix.new(address)
      else Unknown.new
      end
    end

    class Base
      def ipv4?; false; end
      def ipv6?; false; end
      def unix?; false; end
      def unknown?; false; end
      def local?; false; end
      def to_ip_address; nil; end
    end

    class IP < Base
      attr_reader :address, :port

      def initialize(address, port)
        @address = address
        @port = port
      end

      def to_ip_address
        @ip_address ||= IPAddr.new(@address)
      rescue IPAddr::Error
        nil
      end

      # The general rule, for the shapes the fast paths below leave.
      def in_local_networks?
        ip = to_ip_address
        !ip.nil? && self.class::LOCAL_NETWORKS.any? { |network| network.include?(ip) }
      end

      def ==(other)
        other.class == self.class && other.address == address && other.port == port
      end
    end

    class IPv4 < IP
      # Loopback and the private ranges; not link-local 169.254/16.
      LOCAL_NETWORKS = ["127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12",
                        "192.168.0.0/16"].map { |network| IPAddr.new(network) }

      def ipv4?; true; end

      # Connect stoppers ask this once per session and child: decided on
      # the dotted octets, without building IPAddr objects.
      def local?
        octets = @address.to_s.split(".", 4)
        return in_local_networks? unless octets.size == 4
        first = octets[0].to_i
        second = octets[1].to_i
        first == 127 || first == 10 ||
          (first == 172 && second >= 16 && second <= 31) ||
          (first == 192 && second == 168)
      end

      def to_s
        "inet:#{port}@[#{address}]"
      end
    end

    class IPv6 < IP
      # Loopback and link-local; not the unique local fc00::/7.
      LOCAL_NETWORKS = ["::1/128", "fe80::/10"].map { |network| IPAddr.new(network) }

      def ipv6?; true; end

      # fe80::/10 from a full first group; ::1 and other shapes by IPAddr.
      def local?
        group = @address.to_s.split(":", 2).first
        if group && group.size == 4 && group.match?(/\A\h{4}\z/)
          (group.to_i(16) & 0xffc0) == 0xfe80
        else
          in_local_networks?
        end
      end

      def to_s
        "inet6:#{port}@[#{address}]"
      end
    end

    class Unix < Base
      attr_reader :path

      def initialize(path)
        @path = path
      end

      def unix?; true; end
      def local?; true; end

      def to_s
        "unix:#{path}"
      end

      def ==(other)
        other.is_a?(Unix) && other.path == path
      end
    end

    class Unknown < Base
      def unknown?; true; end

      def to_s
        "unknown"
      end

      def ==(other)
        other.is_a?(Unknown)
      end
    end
  end
end
