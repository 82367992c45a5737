# Trust - the `trust` helper of the "Trust" condition: mark mail whose
# envelope sender is in a trusted domain with the macro
# {trusted_domain} = "yes" (for milter-greylist rules that, say, let
# SPF-passing mail from such domains through). Never stops a child.
#
#   trust.add_envelope_from_domain("example.com")   (or a Regexp, a block)
#   trust.clear
#   trust.load_envelope_from_domains("trusted-domains.list")
#
# Trust.envelope_from_domain and Trust.trusted? are the rules (pure):
# the sender must have the shape <user@domain> (angle brackets required,
# split at the first "@", a non-empty domain); the domain is compared
# lower-cased. A domains file (found through the load path) has one
# entry a line: blank and "#" lines are skipped, /REGEX/ is a
# case-insensitive Regexp, anything else a domain (lower-cased).
module Milter
  module Manager
    class Trust
      DEFAULT_DOMAINS = ["gmail.com", "hotmail.com", "msn.com", "yahoo.co.jp",
                         "softbank.ne.jp", "ezweb.ne.jp", "docomo.ne.jp",
                         "clear-code.com"].freeze

      attr_reader :envelope_from_domains

      # load_path: where load_envelope_from_domains looks relative paths up.
      def initialize(load_path = nil)
        @load_path = load_path
        @envelope_from_domains = MatcherList.new(DEFAULT_DOMAINS)
      end

      def add_envelope_from_domain(matcher = nil, &block)
        matcher = matcher.downcase if matcher.is_a?(String)
        @envelope_from_domains.add(matcher, &block)
      end

      def clear
        @envelope_from_domains.clear
        self
      end

      def load_envelope_from_domains(path)
        files = @load_path ? @load_path.resolve(path) : [path].select { |file| File.file?(file) }
        if files.empty?
          raise InvalidValue, "trust.load_envelope_from_domains: #{path} doesn't exist"
        end
        files.each do |file|
          Trust.parse_domains(File.read(file)).each { |entry| @envelope_from_domains.add(entry) }
        end
        self
      end

      def trusted?(from)
        Trust.trusted?(from, @envelope_from_domains)
      end

      # "<user@Example.COM>" -> "example.com"; nil for any other shape.
      def self.envelope_from_domain(from)
        match = /\A<[^@>]*@([^>]+)>\z/.match(from.to_s)
        match && match[1].downcase
      end

      def self.trusted?(from, domains)
        domain = envelope_from_domain(from)
        !domain.nil? && domains.match?(domain)
      end

      # -> the entries of a domains file
      def self.parse_domains(text)
        text.each_line.filter_map do |line|
          line = line.strip
          next if line.empty? || line.start_with?("#")
          if line.length > 1 && line.start_with?("/") && line.end_with?("/")
            Regexp.new(line[1..-2], Regexp::IGNORECASE)
          else
            line.downcase
          end
        end
      end
    end
  end
end
