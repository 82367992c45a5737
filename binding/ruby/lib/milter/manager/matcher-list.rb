# MatcherList - the white and black lists of the built-in conditions
# (S25R's hosts, Trust's domains, Restrict Accounts' accounts).
#
# An entry is a Regexp (matched with =~), a String (exact equality) or a
# callable (a block, a Proc, anything answering call: called with the
# value, truthy = match). Anything else is refused when it is added, so
# a typo fails the configuration load at its line instead of never
# matching in sessions.
module Milter
  module Manager
    class MatcherList
      include Enumerable

      def initialize(entries = [])
        @entries = []
        @strings = {} # String entries, looked up by hash (Trust's domains)
        @others = []
        entries.each { |entry| add(entry) }
      end

      # add(matcher) or add { |value| ... }
      def add(matcher = nil, &block)
        matcher = block if matcher.nil?
        unless MatcherList.matcher?(matcher)
          raise ArgumentError,
                "a matcher should be a Regexp, a String or a block but was #{matcher.inspect}"
        end
        @entries << matcher
        if matcher.is_a?(String)
          @strings[matcher] = true
        else
          @others << matcher
        end
        self
      end

      def clear
        @entries.clear
        @strings.clear
        @others.clear
        self
      end

      def each(&block)
        @entries.each(&block)
      end

      def size
        @entries.size
      end

      # [["string", TEXT] | ["regexp", SOURCE, OPTIONS]...], or nil when an
      # entry is a block (only Ruby can run it).
      def to_native
        @entries.map do |entry|
          case entry
          when String then ["string", entry]
          when Regexp then ["regexp", entry.source, entry.options]
          else return nil
          end
        end
      end

      def match?(value)
        @strings.key?(value) || @others.any? { |entry| MatcherList.match?(entry, value) }
      end

      def self.matcher?(entry)
        entry.is_a?(Regexp) || entry.is_a?(String) || entry.respond_to?(:call)
      end

      # The rule for one entry.
      def self.match?(entry, value)
        case entry
        when Regexp then entry.match?(value)
        when String then entry == value
        else !!entry.call(value)
        end
      end
    end
  end
end
