# ConfigurationSection - one section of milter-manager.conf (package,
# security, log, manager, controller, database).
#
# A section class declares its items with `item NAME, DEFAULT, RULE`.
# Each item gets a getter and a setter; the setter runs RULE (a lambda
# over ValueRules) on the value and records FILE:LINE of the assignment,
# asked from the configuration the section belongs to, so that
# --show-config can say where every value came from. A refused value
# raises ConfigurationError naming that FILE:LINE.
module Milter
  module Manager
    class ConfigurationSection
      # format: how --show-config writes the value (:literal, :octal,
      # :zero_as_nil).
      Item = Struct.new(:name, :default, :rule, :format)

      class << self
        def items
          @items ||= []
        end

        def section_name(name = nil)
          @section_name = name if name
          @section_name
        end

        def item(name, default, rule, format: :literal)
          items << Item.new(name, default, rule, format)
          define_method(name) { @values[name] }
          define_method("#{name}=") { |value| assign(name, value) }
        end
      end

      def initialize(configuration)
        @configuration = configuration
        clear
      end

      def section_name
        self.class.section_name
      end

      def items
        self.class.items
      end

      # Every item back to its default; where it was set is forgotten.
      def clear
        @values = {}
        @locations = {}
        items.each { |item| @values[item.name] = item.default }
      end

      def assign(name, value)
        item = items.find { |candidate| candidate.name == name }
        location = @configuration.current_location
        begin
          stored = item.rule.call("#{section_name}.#{name}", value)
        rescue InvalidValue => error
          raise ConfigurationError.new(error.message, *location)
        end
        @values[name] = stored
        @locations[name] = location
      end

      # A value set from outside the files (the command line): checked
      # like an assignment, with no location.
      def override(name, value)
        item = items.find { |candidate| candidate.name == name }
        raise ConfigurationError.new("unknown item #{section_name}.#{name}") unless item
        begin
          @values[name] = item.rule.call("#{section_name}.#{name}", value)
        rescue InvalidValue => error
          raise ConfigurationError.new(error.message)
        end
        @locations.delete(name)
      end

      def value(name)
        @values.fetch(name)
      end

      # [FILE, LINE] of the last assignment, nil for the default.
      def location(name)
        @locations[name]
      end

      def to_h
        items.each_with_object({}) do |item, hash|
          hash[item.name.to_s] = @values[item.name]
        end
      end

      def inspect
        "#<#{self.class.name} #{to_h.inspect}>"
      end
    end
  end
end
