# SocketTable - the server side of an SMTP connection, found from its
# client side in the kernel's table of TCP sockets (Linux
# /proc/net/tcp and /proc/net/tcp6), for the "Sendmail Compatible"
# condition when the MTA does not say which of its addresses the client
# reached. The original ran and parsed `netstat` for this, a process per
# lookup (and crashed in its command runner: issue #183).
#
# SocketTable.server_address(TEXT, CLIENT_IP, CLIENT_PORT) is a pure
# function over the table's text: the established socket (state 01)
# whose remote end is the client -> [server IPAddr, server port] or nil.
# Addresses in the table are hexadecimal words in the host's byte
# order. An IPv4 client of a dual-stack listener appears in tcp6 as an
# IPv4-mapped address; the answer is then given as IPv4.
require "ipaddr"

module Milter
  module Manager
    module SocketTable
      PATHS = ["/proc/net/tcp", "/proc/net/tcp6"].freeze
      ESTABLISHED = "01"

      module_function

      # Reads the tables at paths (missing ones are skipped).
      def lookup(client_ip, client_port, paths = PATHS)
        paths.each do |path|
          text = begin
                   File.read(path)
                 rescue SystemCallError
                   next
                 end
          found = server_address(text, client_ip, client_port)
          return found if found
        end
        nil
      end

      def server_address(text, client_ip, client_port)
        client_ip = client_ip.native if client_ip.ipv4_mapped?
        text.each_line do |line|
          fields = line.split
          next unless fields.size > 3 && fields[3] == ESTABLISHED
          remote_ip, remote_port = decode_endpoint(fields[2])
          next unless remote_ip && remote_port == client_port && remote_ip == client_ip
          local_ip, local_port = decode_endpoint(fields[1])
          return [local_ip, local_port] if local_ip
        end
        nil
      end

      # "0100007F:0019" -> [IPAddr 127.0.0.1, 25]; nil if malformed.
      def decode_endpoint(text)
        address, port = text.split(":", 2)
        return nil unless port && address.match?(/\A(?:\h{8}|\h{32})\z/)
        words = address.scan(/\h{8}/).map { |word| word.to_i(16) }
        ip = IPAddr.new_ntoh(words.pack("L*"))
        ip = ip.native if ip.ipv4_mapped?
        [ip, port.to_i(16)]
      end
    end
  end
end
