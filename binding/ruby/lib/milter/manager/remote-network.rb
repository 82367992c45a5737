# RemoteNetwork - the `remote_network` helper of the "Remote Network"
# condition: a child runs only for clients connecting from a remote
# network.
#
#   remote_network.add_local_address("192.0.2.0/24")   (String or IPAddr,
#   remote_network.add_remote_address("2001:db8::1")    address or CIDR)
#
# RemoteNetwork.classify is the decision, a pure function over the
# client's IP, the socket address's own local? answer and the two lists:
#   no IP: UNIX socket -> :local; unknown socket -> :unknown (neither:
#   stopped)
#   in an add_remote_address entry     -> :remote (wins over everything)
#   socket_address.local? (loopback, private IPv4, link-local IPv6, UNIX)
#                                      -> :local
#   in an add_local_address entry      -> :local
#   otherwise                          -> :remote
# IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) are compared as the IPv4
# address they carry, so an IPv4 entry covers a dual-stack listener's
# clients too. Entries are IPNetworks (cheap to test against).
require "ipaddr"
require "socket"

module Milter
  module Manager
    class RemoteNetwork
      attr_reader :local_addresses, :remote_addresses

      def initialize
        @local_addresses = []
        @remote_addresses = []
      end

      def add_local_address(address)
        @local_addresses << RemoteNetwork.ip_address("remote_network.add_local_address", address)
        self
      end

      def add_remote_address(address)
        @remote_addresses << RemoteNetwork.ip_address("remote_network.add_remote_address", address)
        self
      end

      # The engine's native form (milter-manager-builtin-conditions.h):
      # each network as [FAMILY, ADDRESS, MASK], the last two 32 hex
      # digits (an IPv4 network in its first 8).
      def to_native
        { "kind" => "remote-network", "local" => RemoteNetwork.native(@local_addresses),
          "remote" => RemoteNetwork.native(@remote_addresses) }
      end

      def self.native(networks)
        networks.map do |network|
          width = network.family == Socket::AF_INET ? 8 : 32
          [network.family, format("%0#{width}x", network.address).ljust(32, "0"),
           format("%0#{width}x", network.mask).ljust(32, "0")]
        end
      end

      def remote?(socket_address)
        classify(socket_address) == :remote
      end

      def classify(socket_address)
        RemoteNetwork.classify(RemoteNetwork.address_key(socket_address), @local_addresses,
                               @remote_addresses) { socket_address.local? }
      end

      # key: [family, integer] of the client's IP (IPv4-mapped IPv6 as
      # IPv4), or nil for a UNIX-socket client (local) or an unknown one;
      # the block answers the socket address's local?, asked only when
      # the lists do not decide (it may cost more than they do).
      def self.classify(key, local_addresses, remote_addresses)
        return(yield ? :local : :unknown) if key.nil?
        family, integer = key
        return :remote if remote_addresses.any? { |network| network.contains?(family, integer) }
        return :local if local_addresses.any? { |network| network.contains?(family, integer) } || yield
        :remote
      end

      def self.address_key(socket_address)
        if socket_address.ipv4? && (integer = IPNetwork.ipv4_integer(socket_address.address))
          return [Socket::AF_INET, integer]
        end
        ip = socket_address.to_ip_address
        return nil if ip.nil?
        ip = ip.native if ip.ipv4_mapped?
        [ip.family, ip.to_i]
      end

      def self.ip_address(target, address)
        unless address.is_a?(String) || address.is_a?(IPAddr)
          raise InvalidValue, "#{target} should be an IP address or a CIDR network but was #{address.inspect}"
        end
        IPNetwork.new(address)
      rescue IPAddr::Error
        raise InvalidValue, "#{target} should be an IP address or a CIDR network but was #{address.inspect}"
      end
    end
  end
end
