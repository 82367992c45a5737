# Embedded - the entry points the C layer (binding/ruby/milter-manager-
# ruby-configuration.c) calls. Each returns plain data and never raises
# for a configuration problem, so the C side has one shape to read.
module Milter
  module Manager
    module Embedded
      module_function

      # -> [configuration, nil] or [nil, [MESSAGE, FILE or nil, LINE or 0]]
      def load(directories)
        [ConfigurationLoader.load(directories), nil]
      rescue ConfigurationError => error
        [nil, [error.message, error.file, error.line || 0]]
      end

      # Before every load (the original's "clear"): the Ruby-wide state a
      # load sets, the once-per-load reports, starts afresh. The model
      # itself needs no clearing: every load builds a new one.
      # -> nil or the failure's message (logged here too).
      def clear
        PendingFeatures.reset
        nil
      rescue StandardError, ScriptError => error
        clear_failed(error)
      end

      # When the C side drops a model (replaced by a reload, at shutdown,
      # or a failed load's): what it holds outside itself is released.
      # -> nil or the failure's message (logged here too).
      def dispose(configuration)
        configuration.database.release
        nil
      rescue StandardError, ScriptError => error
        clear_failed(error)
      end

      def clear_failed(error)
        message = "#{error.message} (#{error.class})"
        Log.error("[configuration][clear][custom][error] #{message}")
        message
      end

      # The --show-config text; if writing it fails, the error and its
      # backtrace instead.
      def dump(configuration)
        ConfigurationDumper.new(configuration).dump
      rescue StandardError => error
        ([error.message] + (error.backtrace || [])).join("\n") + "\n"
      end

      # Sets "section.item" => value pairs as the command line does:
      # checked like assignments, shown under "# default" by the dump (as
      # the original shows overridden items). -> nil or the error message.
      def override(configuration, overrides)
        overrides.each do |key, value|
          section_name, item = key.split(".", 2)
          unless Configuration::SECTIONS.include?(section_name.to_sym)
            raise ConfigurationError.new("unknown section in #{key}")
          end
          configuration.send(section_name).override(item.to_sym, value)
        end
        nil
      rescue ConfigurationError => error
        error.message
      end

      # Maintenance (every manager.maintenance_interval sessions): the
      # manager.maintained hooks. -> the failures' messages. (The original
      # also forced Ruby's GC here; our sessions allocate no Ruby objects,
      # so there is nothing to collect, and a forced GC every few sessions
      # would cost the event loop.)
      def maintain(configuration)
        run_hooks(configuration.manager.maintained_hooks)
      end

      # Once the daemon's event loop exists: the
      # manager.event_loop_created hooks. There is no Ruby binding of our
      # event loop, so the hooks get nil. -> the failures' messages.
      def event_loop_created(configuration)
        run_hooks(configuration.manager.event_loop_created_hooks, nil)
      end

      # Every hook runs; one that raises does not stop the others.
      def run_hooks(hooks, *arguments)
        hooks.each_with_object([]) do |hook, problems|
          begin
            hook.call(*arguments)
          rescue StandardError, ScriptError => error
            problems << ([error.message] + (error.backtrace || [])).join("\n  ")
          end
        end
      end

      # The conditions with stoppers, for the engine:
      # -> [[NAME, DESCRIPTION or nil, CONDITION, [STAGE names]]]
      def conditions(configuration)
        configuration.applicable_conditions.filter_map do |condition|
          stages = condition.stages
          next if stages.empty?
          [condition.name, condition.description, condition, stages.map(&:to_s),
           condition.native]
        end
      end

      # One stopper call from the engine: stage a Symbol (:envelope_from)
      # or a name ("envelope-from"); native is the child's context for
      # this call only; arguments as the engine gives them (connect: host,
      # family, address, port). -> true (stop) or false.
      def stop(condition, stage, native, arguments)
        !stop_first([condition], stage, native, arguments).nil?
      end

      # Several conditions of one child at one stage, in order: -> the
      # index of the first that stops it, or nil. One context and one
      # set of arguments serve them all.
      def stop_first(conditions, stage, native, arguments)
        stage = stage.tr("-", "_").to_sym unless stage.is_a?(Symbol)
        if stage == :connect
          host, family, address, port = arguments
          arguments = [host, SocketAddress.build(family, address, port)]
        end
        context = ChildContext.new(native)
        conditions.index { |condition| condition.stop?(stage, context, arguments) }
      end

      # stop_first, later: on a pool thread, which calls job.finish with
      # its result (milter-manager-ruby-stopper-jobs.c).
      def stop_later(job, conditions, stage, native, arguments)
        StopperPool.instance.push([job, conditions, stage, native, arguments])
        nil
      end

      # The model as plain data (Configuration#to_h).
      def to_h(configuration)
        configuration.to_h
      end
    end
  end
end
