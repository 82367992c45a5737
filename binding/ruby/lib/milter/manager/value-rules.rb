# ValueRules - what each kind of configuration item accepts.
#
# Every rule is a pure function: (target, value, ...) -> the normalised
# value to store, or InvalidValue whose message names the target, the
# allowed values and the value given. The sections call them on every
# assignment; the table-driven test in test/ruby/test-value-rules.rb
# lists the cases.
require "shellwords"

module Milter
  module Manager
    module ValueRules
      module_function

      STATUSES = ["accept", "temporary-failure", "reject", "discard"]
      EVENT_LOOP_BACKENDS = ["glib", "libev"]
      SYSLOG_FACILITIES = ["authpriv", "cron", "daemon", "kern",
                           "local0", "local1", "local2", "local3",
                           "local4", "local5", "local6", "local7",
                           "lpr", "mail", "news", "user", "uucp"]
      # Level names in the order --show-config writes them.
      LOG_LEVELS = ["critical", "error", "warning", "message", "info",
                    "debug", "trace", "statistics", "profile"]
      DEFAULT_LOG_LEVELS = ["critical", "error", "warning"]

      def invalid(target, expected, value)
        raise InvalidValue, "#{target} should be #{expected} but was #{value.inspect}"
      end

      def one_of(allowed)
        "one of #{allowed.inspect}"
      end

      def boolean(target, value)
        case value
        when true, "true" then true
        when false, "false" then false
        else invalid(target, one_of([true, false]), value)
        end
      end

      def string(target, value, nil_allowed: true)
        return value.dup.freeze if value.is_a?(String)
        return nil if value.nil? && nil_allowed
        invalid(target, nil_allowed ? "a String or nil" : "a String", value)
      end

      # Case-insensitive, "_" accepted for "-" (temporary_failure).
      def enum(target, value, allowed)
        if value.is_a?(String) || value.is_a?(Symbol)
          name = value.to_s.downcase.tr("_", "-")
          return name if allowed.include?(name)
        end
        invalid(target, one_of(allowed), value)
      end

      def status(target, value)
        enum(target, value, STATUSES)
      end

      # Integers may be given as text too ("0660" is octal, as in Ruby),
      # because the custom XML file passes every value as text.
      # nil_as: the value nil stands for (nil = nil is not allowed).
      def integer(target, value, min: 0, max: nil, nil_as: :refuse)
        if value.nil?
          return nil_as unless nil_as == :refuse
        else
          number = value if value.is_a?(Integer)
          number = Integer(value, exception: false) if value.is_a?(String)
          if number && number >= min && (max.nil? || number <= max)
            return number
          end
        end
        range = max ? "#{min}..#{max}" : ">= #{min}"
        nil_text = nil_as == :refuse ? "" : " or nil"
        invalid(target, "an Integer #{range}#{nil_text}", value)
      end

      def seconds(target, value)
        number = value.to_f if value.is_a?(Numeric)
        number = Float(value, exception: false) if value.is_a?(String)
        return number if number && number > 0
        invalid(target, "a positive number of seconds", value)
      end

      def connection_spec(target, value, nil_allowed: true)
        return nil if value.nil? && nil_allowed
        if value.is_a?(String)
          problem = ConnectionSpec.problem(value)
          return value.dup.freeze if problem.nil?
          raise InvalidValue, "#{target} should be a connection spec " +
            "(unix:PATH, inet:PORT[@HOST], inet6:PORT[@HOST]) but was " +
            "#{value.inspect}: #{problem}"
        end
        invalid(target, "a connection spec String#{nil_allowed ? ' or nil' : ''}",
                value)
      end

      # "name|name", "all", "none", "default", or "+name|-name" relative to
      # the default set -> the enabled names in LOG_LEVELS order.
      def log_levels(target, value)
        invalid(target, "level names joined by |", value) unless value.is_a?(String)
        enabled = []
        value.split("|").each do |word|
          word = word.strip.downcase
          sign = word[0] if word.start_with?("+", "-")
          word = word[1..] if sign
          names =
            case word
            when "all" then LOG_LEVELS
            when "none" then []
            when "default" then DEFAULT_LOG_LEVELS
            else
              unless LOG_LEVELS.include?(word)
                allowed = LOG_LEVELS + ["all", "none", "default"]
                invalid(target, one_of(allowed) + " (joined by |)", value)
              end
              [word]
            end
          if sign && enabled.empty?
            enabled = DEFAULT_LOG_LEVELS.dup
          end
          if sign == "-"
            enabled -= names
          else
            enabled |= names
          end
        end
        LOG_LEVELS & enabled
      end

      # "K1=V1,K2=V2" or a Hash -> the text form.
      def package_options(target, value)
        case value
        when nil then nil
        when Hash then value.map { |key, val| "#{key}=#{val}" }.join(",").freeze
        when String then value.dup.freeze
        else invalid(target, "a String \"K1=V1,K2=V2\", a Hash or nil", value)
        end
      end

      def parse_package_options(text)
        return nil if text.nil?
        text.split(",").each_with_object({}) do |pair, options|
          key, val = pair.split("=", 2)
          options[key] = val
        end
      end

      # A String as is, an Array shell-escaped element by element.
      def command_options(target, value)
        case value
        when nil then nil
        when String then value.dup.freeze
        when Array then value.map { |word| Shellwords.escape(word.to_s) }.join(" ").freeze
        else invalid(target, "a String, an Array or nil", value)
        end
      end
    end
  end
end
