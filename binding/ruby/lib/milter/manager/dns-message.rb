# DnsMessage - the two DNS messages a DNSBL lookup needs (RFC 1035): a
# recursive query for the A records of a name, and the IPv4 answers of
# a response. Pure functions over bytes, so that the lookup can run on
# any event loop (DnsblLookup sends and receives; this only encodes and
# decodes).
#
#   DnsMessage.query(ID, NAME)    -> the packet (String, binary)
#   DnsMessage.response(PACKET)   -> {id:, rcode:, answers: ["127.0.0.2", ...]}
#                                    or nil for a packet that is not a
#                                    well-formed response
# NXDOMAIN (rcode 3) is how a DNSBL says "not listed".
module Milter
  module Manager
    module DnsMessage
      TYPE_A = 1
      CLASS_IN = 1
      RCODE_NXDOMAIN = 3

      module_function

      def query(id, name)
        header = [id, 0x0100, 1, 0, 0, 0].pack("n6") # RD, one question
        header + encode_name(name) + [TYPE_A, CLASS_IN].pack("n2")
      end

      def encode_name(name)
        labels = name.to_s.split(".")
        labels.each do |label|
          raise ArgumentError, "bad DNS label in #{name.inspect}" if label.empty? || label.bytesize > 63
        end
        (labels.map { |label| [label.bytesize].pack("C") + label.b }.join + "\0").b
      end

      def response(packet)
        packet = packet.b
        return nil if packet.bytesize < 12
        id, flags, n_questions, n_answers = packet.unpack("n4")
        return nil if (flags & 0x8000).zero? # not a response
        offset = 12
        n_questions.times do
          offset = skip_name(packet, offset)
          return nil unless offset && offset + 4 <= packet.bytesize
          offset += 4
        end
        answers = []
        n_answers.times do
          offset = skip_name(packet, offset)
          return nil unless offset && offset + 10 <= packet.bytesize
          type, klass, _ttl, length = packet.byteslice(offset, 10).unpack("nnNn")
          offset += 10
          return nil if offset + length > packet.bytesize
          if type == TYPE_A && klass == CLASS_IN && length == 4
            answers << packet.byteslice(offset, 4).unpack("C4").join(".")
          end
          offset += length
        end
        { id: id, rcode: flags & 0x000f, answers: answers }
      end

      # The offset after the name at offset, or nil if it is malformed.
      def skip_name(packet, offset)
        loop do
          return nil if offset >= packet.bytesize
          length = packet.getbyte(offset)
          return offset + 1 if length.zero?
          if (length & 0xc0) == 0xc0
            return offset + 2 <= packet.bytesize ? offset + 2 : nil
          end
          return nil if (length & 0xc0) != 0
          offset += 1 + length
        end
      end
    end
  end
end
