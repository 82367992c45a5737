# ConnectionSpec - is a text a connection spec milter-manager can use?
#
# The same forms as milter/core/milter-connection-spec.c accepts, so a
# value refused by the C parser later is refused here, at the line that
# assigned it: unix:PATH, local:PATH, inet:PORT, inet:PORT@HOST,
# inet:PORT@[ADDR], inet6:PORT[@HOST|@[ADDR]], inet:HOST:PORT and
# inet:[ADDR]:PORT. Ports are decimal 1-65535 (no service names).
require "ipaddr"

module Milter
  module Manager
    module ConnectionSpec
      module_function

      # nil when text is a valid spec, else a short reason.
      def problem(text)
        protocol, rest = text.split(":", 2)
        return "no protocol (unix:, inet: or inet6:)" if rest.nil?
        case protocol.downcase
        when "unix", "local"
          return "empty path" if rest.empty?
          nil
        when "inet", "inet6"
          inet_problem(protocol.downcase, rest)
        else
          "unknown protocol #{protocol.inspect}"
        end
      end

      def inet_problem(protocol, rest)
        if rest.include?("@")
          port, host = rest.split("@", 2)
        elsif protocol == "inet" && (match = /\A(.+):(\d+)\z/.match(rest))
          host, port = match[1], match[2]
        else
          port, host = rest, nil
        end
        port_problem(port) || (host && host_problem(host))
      end

      def port_problem(port)
        return "port #{port.inspect} is not a decimal number" unless /\A\d+\z/.match?(port)
        return "port #{port} is out of range 1-65535" unless (1..65535).cover?(port.to_i)
        nil
      end

      def host_problem(host)
        return "empty host" if host.empty?
        if host.start_with?("[") || host.end_with?("]")
          return "unbalanced brackets" unless host.start_with?("[") && host.end_with?("]")
          begin
            IPAddr.new(host[1..-2])
          rescue IPAddr::Error
            return "#{host} is not an IP address"
          end
        end
        nil
      end
    end
  end
end
