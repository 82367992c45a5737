# ApplicableConditionDefinition - a named applicable condition as
# `define_applicable_condition(NAME) do |condition|` describes it.
#
# The model keeps the description and the stopper blocks by stage.
# Running the stoppers in sessions is later work: defining one is
# accepted and reported once as not yet supported.
module Milter
  module Manager
    class ApplicableConditionDefinition
      STAGES = [:connect, :helo, :envelope_from, :envelope_recipient, :data,
                :header, :end_of_header, :body, :end_of_message]

      attr_reader :name, :description, :stoppers
      attr_accessor :definition_location, :description_location

      def initialize(configuration, name)
        @configuration = configuration
        @name = name.dup.freeze
        @description = nil
        @description_location = nil
        @stoppers = Hash.new { |hash, stage| hash[stage] = [] }
      end

      def description=(text)
        location = @configuration.current_location
        begin
          @description = ValueRules.string("condition.description", text)
        rescue InvalidValue => error
          raise ConfigurationError.new(error.message, *location)
        end
        @description_location = location
      end

      STAGES.each do |stage|
        define_method("define_#{stage}_stopper") do |&block|
          PendingFeatures.report("applicable condition stoppers (#{name}: #{stage})")
          @stoppers[stage] << block if block
        end
      end

      def to_h
        { "name" => name, "description" => description,
          "stages" => @stoppers.keys.map(&:to_s) }
      end
    end
  end
end
