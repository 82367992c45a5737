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
        contains?(ip.family, ip.to_i)
      end

      def contains?(family, integer)
        family == @family && (integer & @mask) == @address
      end

      # "203.0.113.5" -> its integer, nil for any other text: a dotted
      # quad read without IPAddr.new (about 6 us a call here).
      def self.ipv4_integer(text)
        match = /\A(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\z/.match(text)
        return nil unless match
        octets = match.captures.map(&:to_i)
        return nil if octets.any? { |octet| octet > 255 }
        (octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]
      end
    end
  end
end
