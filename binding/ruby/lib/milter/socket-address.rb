# Milter::SocketAddress - the client address a connect stopper gets
# (applicable-conditions.md §4): IPv4, IPv6, Unix and Unknown, all
# answering ipv4?, ipv6?, unix?, unknown?, local?, to_ip_address, to_s.
require "ipaddr"

module Milter
  module SocketAddress
    module_function

    # From the engine's connect arguments: family "inet", "inet6",
    # "unix" or anything else (unknown).
    def build(family, address, port)
      case family
      when "inet" then IPv4.new(address, port)
      when "inet6" then IPv6.new(address, port)
      when "unix" then Unix.new(address)
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

      def local?
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

      def to_s
        "inet:#{port}@[#{address}]"
      end
    end

    class IPv6 < IP
      # Loopback and link-local; not the unique local fc00::/7.
      LOCAL_NETWORKS = ["::1/128", "fe80::/10"].map { |network| IPAddr.new(network) }

      def ipv6?; true; end

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
