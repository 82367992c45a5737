# MilterGreylistConfig - what detection reads from milter-greylist's
# greylist.conf (spec detection.md §8): the "socket" statement and the
# longest "tarpit" delay of its ACLs, which the manager adds to the
# child's timeouts (a tarpitting milter-greylist answers late on
# purpose).
#
#   config = MilterGreylistConfig.new(text)
#   config.socket        -> "/var/run/milter-greylist.sock" or nil
#   config.max_tarpit    -> seconds (Float) or nil
#   MilterGreylistConfig.duration_seconds("2m") -> 120.0
module Milter
  module Manager
    class MilterGreylistConfig
      UNITS = { "" => 1, "s" => 1, "m" => 60, "h" => 3600, "d" => 86_400, "w" => 604_800 }

      def self.duration_seconds(text)
        match = /\A(\d+)([smhdw]?)\z/i.match(text)
        match && (match[1].to_i * UNITS.fetch(match[2].downcase)).to_f
      end

      attr_reader :socket, :max_tarpit

      def initialize(text)
        @socket = nil
        @max_tarpit = nil
        DetectorRules.logical_lines(text).each { |statement| read_statement(statement) }
      end

      private

      def read_statement(statement)
        if (match = /\Asocket\s+(?:"([^"]*)"|(\S+))/.match(statement))
          @socket = match[1] || match[2]
        elsif /\A(?:racl|acl|dacl)\s/.match?(statement)
          statement.scan(/\btarpit\s+(\d+[smhdw]?)\b/i) do |(delay)|
            seconds = self.class.duration_seconds(delay)
            @max_tarpit = seconds if seconds && (@max_tarpit.nil? || seconds > @max_tarpit)
          end
        end
      end
    end
  end
end
