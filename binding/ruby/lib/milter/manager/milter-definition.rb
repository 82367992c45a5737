# MilterDefinition - one child milter as `define_milter(NAME) do |milter|`
# describes it (the future egg).
#
# Items are checked like section items. applicable_conditions keeps
# condition names, each with the FILE:LINE that added it; a name must be
# defined (define_applicable_condition) when it is assigned. Names, not
# objects, are kept so that redefining a condition reaches every milter
# that uses it.
module Milter
  module Manager
    class MilterDefinition < ConfigurationSection
      section_name "milter"
      item :connection_spec, nil, ->(t, v) { R.connection_spec(t, v) }
      item :description, nil, ->(t, v) { R.string(t, v) }
      item :enabled, true, ->(t, v) { R.boolean(t, v) }
      item :fallback_status, "accept", ->(t, v) { R.status(t, v) }
      item :evaluation_mode, false, ->(t, v) { R.boolean(t, v) }
      item :command, nil, ->(t, v) { R.string(t, v) }
      item :command_options, nil, ->(t, v) { R.command_options(t, v) }
      item :user_name, nil, ->(t, v) { R.string(t, v) }
      item :connection_timeout, 297.0, ->(t, v) { R.seconds(t, v) }
      item :writing_timeout, 7.0, ->(t, v) { R.seconds(t, v) }
      item :reading_timeout, 7.0, ->(t, v) { R.seconds(t, v) }
      item :end_of_message_timeout, 297.0, ->(t, v) { R.seconds(t, v) }

      attr_reader :name
      # [FILE, LINE] of the define_milter that last opened this milter.
      attr_accessor :definition_location

      def initialize(configuration, name)
        @name = name.dup.freeze
        super(configuration)
      end

      def clear
        super
        @conditions = []
      end

      def applicable_conditions
        @conditions.map(&:first)
      end

      def applicable_condition_entries
        @conditions.dup
      end

      def applicable_conditions=(conditions)
        location = @configuration.current_location
        names = Array(conditions).map { |condition| condition_name(condition, location) }
        @conditions = names.map { |name| [name, location] }
      end

      def add_applicable_condition(condition)
        location = @configuration.current_location
        @conditions << [condition_name(condition, location), location]
      end

      def enabled?
        enabled
      end

      def evaluation_mode?
        evaluation_mode
      end

      def to_h
        super.merge("name" => name, "applicable_conditions" => applicable_conditions)
      end

      private

      def condition_name(condition, location)
        name = condition.respond_to?(:name) ? condition.name : condition
        defined = @configuration.applicable_condition_names
        unless name.is_a?(String) && defined.include?(name)
          raise ConfigurationError.new("milter.applicable_conditions should be " +
                                       "one of #{defined.inspect} but was #{name.inspect}",
                                       *location)
        end
        name
      end
    end
  end
end
