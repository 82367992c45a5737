# DnsblLookup - one client address asked of every DNSBL zone at once,
# over one non-blocking UDP socket, driven by whoever owns the event
# loop: it watches `socket` for input and calls `readable(now)`, and
# calls `expire(now)` at `deadline`. Nothing here waits.
#
#   lookup = DnsblLookup.new([[QUERY_NAME, EXPECTED], ...], SERVER, DEADLINE)
#   lookup.result  -> :listed, :not_listed or nil (still waiting)
#
# Listed as soon as one zone's answer matches its expectation
# (Dnsbl.listed_answer?); not listed once every zone answered without a
# match (NXDOMAIN, other answers, a failure code) or at the deadline.
# Answers are taken only from the name server's address and port and
# with the ID of a query still waiting; anything else is dropped.
require "socket"
require "securerandom"

module Milter
  module Manager
    class DnsblLookup
      DNS_PORT = 53

      attr_reader :socket, :deadline, :result

      # server: "ADDRESS" or "ADDRESS:PORT" (tests use a port of their own)
      def initialize(queries, server, deadline)
        @deadline = deadline
        @result = nil
        @server = server.to_s
        @server_address, @server_port = DnsblLookup.split_server(server)
        family = IPAddr.new(@server_address).ipv6? ? Socket::AF_INET6 : Socket::AF_INET
        @socket = UDPSocket.new(family)
        @socket.connect(@server_address, @server_port) # the kernel drops other sources
        @waiting = {}
        queries.each do |name, expected|
          id = new_id
          @waiting[id] = expected
          @socket.send(DnsMessage.query(id, name), 0)
        end
        @result = :not_listed if @waiting.empty?
      rescue SystemCallError, IPAddr::Error => error
        close
        Log.warning("[dnsbl][error] #{@server}: #{error.message}")
        @result = :not_listed
      end

      # Reads every datagram there is. -> result (nil: still waiting)
      def readable(now = Process.clock_gettime(Process::CLOCK_MONOTONIC))
        return @result if @result
        loop do
          packet = @socket.recv_nonblock(4096, exception: false)
          break if packet == :wait_readable || packet.nil?
          answer(DnsMessage.response(packet))
          break if @result
        end
        finish(@result || (@waiting.empty? ? :not_listed : nil)) || expire(now)
      rescue SystemCallError => error
        # e.g. ECONNREFUSED: no name server there
        Log.warning("[dnsbl][error] #{@server}: #{error.message}")
        finish(:not_listed)
      end

      # -> result, :not_listed once the deadline has passed
      def expire(now = Process.clock_gettime(Process::CLOCK_MONOTONIC))
        return @result if @result
        now >= @deadline ? finish(:not_listed) : nil
      end

      def close
        @socket&.close unless @socket&.closed?
      end

      def self.split_server(server)
        text = server.to_s
        if (match = /\A\[(.+)\]:(\d+)\z/.match(text)) || (match = /\A([^:]+):(\d+)\z/.match(text))
          [match[1], Integer(match[2], 10)]
        else
          [text.delete_prefix("[").delete_suffix("]"), DNS_PORT]
        end
      end

      private

      def answer(response)
        return unless response && @waiting.key?(response[:id])
        expected = @waiting.delete(response[:id])
        @result = :listed if response[:rcode].zero? && Dnsbl.listed_answer?(response[:answers], expected)
      end

      def finish(result)
        return nil unless result
        @result = result
        close
        result
      end

      def new_id
        loop do
          id = SecureRandom.random_number(0x10000)
          return id unless @waiting.key?(id)
        end
      end
    end
  end
end
