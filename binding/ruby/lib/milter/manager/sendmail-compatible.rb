# SendmailCompatible - the helper of the "Sendmail Compatible"
# condition: give Postfix sessions the macros Sendmail sends and some
# milters expect. Never stops a child; only for Postfix (context.postfix?).
#
# At connect, each of these the MTA did not send itself:
#   {if_addr}     the server-side address the client connected to: the
#                 MTA's {daemon_addr} (Postfix >= 3.2 sends it by
#                 default), else looked up by the client's address and
#                 port in the kernel's socket table (SocketTable; about
#                 5 ms a lookup, so only when {daemon_addr} is missing)
#   {daemon_port} the server-side port, from the same lookup (Postfix
#                 >= 3.2 sends it when milter_connect_macros lists it)
#   {if_name}     the reverse DNS name of {if_addr}, cached (100
#                 entries, emptied when full; a failure is cached too, so
#                 a server address without a name costs one lookup, not
#                 one per session); a failure logs
#                 [sendmail-compatible][warning] can't resolve server name: ADDR: MESSAGE
# At MAIL FROM: {i} = "dummy-id" when absent (Postfix assigns the queue
# ID only after the first accepted RCPT by default).
#
#   sendmail_compatible.socket_tables = [PATHS]   (default /proc/net/tcp{,6})
#   sendmail_compatible.resolver = ->(ip_string) { name }  (raises on failure)
require "resolv"

module Milter
  module Manager
    class SendmailCompatible
      CACHE_SIZE = 100
      DNS_TIMEOUT = 2

      attr_accessor :socket_tables, :resolver

      def initialize
        @socket_tables = SocketTable::PATHS
        @resolver = method(:resolve_with_system)
        @names = {}
      end

      def connect(context, socket_address)
        return unless context.postfix?
        sent_if_addr = context["if_addr"]
        sent_port = context["daemon_port"]
        sent_if_name = context["if_name"]
        if_addr = sent_if_addr || context["daemon_addr"]
        port = sent_port
        # Only without an address: reading the table costs milliseconds
        # (the kernel walks its whole socket hash), too much for a port.
        if if_addr.nil? && (socket_address.ipv4? || socket_address.ipv6?)
          found = SocketTable.lookup(socket_address.to_ip_address, socket_address.port,
                                     @socket_tables)
          if found
            if_addr ||= found[0].to_s
            port ||= found[1].to_s
          end
        end
        context["if_addr"] = if_addr if if_addr && sent_if_addr.nil?
        context["daemon_port"] = port if port && sent_port.nil?
        if if_addr && sent_if_name.nil?
          name = server_name(if_addr)
          context["if_name"] = name if name
        end
        nil
      end

      def envelope_from(context)
        return unless context.postfix?
        context["i"] = "dummy-id" if context["i"].nil?
        nil
      end

      def server_name(address)
        return @names[address] if @names.key?(address)
        @names.clear if @names.size >= CACHE_SIZE
        @names[address] = begin
                            @resolver.call(address)
                          rescue StandardError => error
                            Log.warning("[sendmail-compatible][warning] can't resolve server name: " +
                                        "#{address}: #{error.message}")
                            nil
                          end
      end

      private

      def resolve_with_system(address)
        dns = Resolv::DNS.new
        dns.timeouts = DNS_TIMEOUT
        Resolv.new([Resolv::Hosts.new, dns]).getname(address)
      ensure
        dns&.close
      end
    end
  end
end
