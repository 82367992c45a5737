# IPNetwork - an IPv4 or IPv6 network (an address is a /32 or /128)
# kept as integers, for the membership tests that run per session
# (Remote Network's lists; also fit for SocketAddress#local?).
#
# IPAddr#include? builds IPAddr objects on every call (about 5 us each
# here); IPNetwork#include? is a family check, a mask and a compare
# (well under 1 us). Answers as IPAddr#include? does: false across
# families, the entry's host bits ignored.
require "ipaddr"

module Milter
  module Manager
    class IPNetwork
      attr_reader :family, :address, :mask

      # IPNetwork.new("192.0.2.0/24") or IPNetwork.new(IPAddr) ->
      # raises IPAddr::Error for a bad text
      def initialize(network)
        ip = network.is_a?(IPAddr) ? network : IPAddr.new(network)
        bits = ip.ipv4? ? 32 : 128
        @family = ip.family
        @mask = ((1 << bits) - 1) ^ ((1 << (bits - ip.prefix)) - 1)
        @address = ip.to_i & @mask
      end

      # ip: an IPAddr
      def include?(ip)
        ip.family == @family && (ip.to_i & @mask) == @address
      end
    end
  end
end
