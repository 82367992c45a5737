# EnmaConfig - the socket of ENMA (a sender authentication milter) from
# its enma.conf: lines "milter.socket: VALUE", the last one wins
# (spec detection.md §8).
module Milter
  module Manager
    class EnmaConfig
      attr_reader :socket

      def initialize(text)
        @socket = nil
        text.to_s.each_line do |line|
          next if line.lstrip.start_with?("#")
          match = /\A\s*milter\.socket\s*:\s*(\S+)/.match(line)
          @socket = match[1] if match
        end
      end
    end
  end
end
