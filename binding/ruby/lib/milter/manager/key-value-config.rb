# KeyValueConfig - the "Key value" configuration files of clamav-milter
# (clamav-milter.conf) and OpenDKIM (opendkim.conf), as detection reads
# them (spec detection.md §8): one setting per line, the key first,
# "#" lines are comments, keys compared without regard to case.
#
#   ClamAVMilterConfig.new(text).socket / .example?
#   OpenDKIMConfig.new(text).socket
module Milter
  module Manager
    class KeyValueConfig
      def initialize(text)
        @entries = []
        text.to_s.each_line do |line|
          line = line.strip
          next if line.empty? || line.start_with?("#")
          key, value = line.split(/\s+/, 2)
          @entries << [key.downcase, value.to_s.strip]
        end
      end

      def key?(key)
        @entries.any? { |name, _value| name == key.downcase }
      end

      # The value of the first line with key, or nil.
      def [](key)
        entry = @entries.find { |name, _value| name == key.downcase }
        entry && unquote(entry[1])
      end

      private

      def unquote(value)
        match = /\A"(.*)"\z/.match(value)
        match ? match[1] : value
      end
    end

    class ClamAVMilterConfig < KeyValueConfig
      def socket
        self["MilterSocket"]
      end

      # The packaged sample still says "Example": not set up yet, and
      # clamav-milter refuses to start with it.
      def example?
        key?("Example")
      end
    end

    class OpenDKIMConfig < KeyValueConfig
      def socket
        self["Socket"]
      end
    end
  end
end
