# ApplicableConditionDefinition - a named applicable condition as
# `define_applicable_condition(NAME) do |condition|` describes it
# (applicable-conditions.md §2).
#
# The model keeps the description and the stopper blocks by stage. In a
# session the engine asks stop?(stage, context, arguments) just before
# it would send that stage's event to a child that carries the
# condition: the blocks of the stage run in definition order and the
# first true value stops the child (the rest are not called). A block
# that raises is logged at error level and counts as "don't stop".
#
# Block parameters: connect |context, host, socket_address|, helo
# |context, fqdn|, envelope_from |context, from|, envelope_recipient
# |context, recipient|, data |context|, header |context, name, value|,
# end_of_header |context|, body |context, chunk| (the documented form,
# not the original's extra condition name), end_of_message |context|.
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
          if @dnsbl
            raise ConfigurationError.new("a DNSBL condition has no other stopper",
                                         *@configuration.current_location)
          end
          unless block
            raise ConfigurationError.new("define_#{stage}_stopper needs a block",
                                         *@configuration.current_location)
          end
          @stoppers[stage] << block
        end
      end

      # A native connect stopper (dnsbl.conf): the client is looked up in
      # the DNS blocklists of the `dnsbl` helper, without blocking the
      # event loop; the child is stopped when it is listed
      # (stop_when_listed: true) or when it is not (false). It is the
      # condition's only stopper.
      def define_dnsbl_stopper(dnsbl, stop_when_listed:)
        unless dnsbl.is_a?(Dnsbl) && @stoppers.values.all?(&:empty?)
          raise ConfigurationError.new("define_dnsbl_stopper needs the dnsbl helper and " \
                                       "no other stopper", *@configuration.current_location)
        end
        @dnsbl = [dnsbl, stop_when_listed]
      end

      # The built-in's stopper may run natively (no Ruby call per
      # session): helper.to_native gives the engine its settings once the
      # configuration is loaded, or nil when one of them has no native form
      # (a block, say); the condition's Ruby stoppers then run. Both must
      # decide the same.
      def define_native_stopper(helper)
        @native_helper = helper
      end

      # nil, or what the engine's native condition needs.
      def native
        return @dnsbl[0].to_native(@dnsbl[1]) if @dnsbl
        @native_helper && @native_helper.to_native
      end

      # The stages that have at least one stopper.
      def stages
        return [:connect] if @dnsbl
        STAGES.select { |stage| @stoppers.key?(stage) && !@stoppers[stage].empty? }
      end

      def stop?(stage, context, arguments)
        blocks = @stoppers.fetch(stage, nil)
        return false unless blocks
        blocks.any? do |block|
          begin
            block.call(context, *arguments) ? true : false
          rescue ChildContext::Expired
            # Its session moved on while it ran (off the loop): nobody
            # waits for the answer.
            false
          rescue Exception => error # a stopper must never end the session
            raise if error.is_a?(NoMemoryError)
            where = (error.backtrace || []).first
            session_id = begin
                           context.respond_to?(:session_id) ? context.session_id : 0
                         rescue ChildContext::Expired
                           0
                         end
            Log.error("[applicable-condition][stopper][error] " \
                      "#{name}: #{stage}: #{error.message} (#{error.class})" \
                      "#{where ? " at #{where}" : ""}", session_id)
            false
          end
        end
      end

      def to_h
        { "name" => name, "description" => description,
          "stages" => stages.map(&:to_s) }
      end
    end
  end
end
