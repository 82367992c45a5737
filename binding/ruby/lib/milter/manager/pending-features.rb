# PendingFeatures - configuration words that belong to later work.
#
# define_policy is accepted, so
# that a configuration written for the original loads, and each is
# reported once per load as a warning:
#   [configuration][not-supported] FEATURE: not supported yet
# (the log catalogue has no row for this case).
module Milter
  module Manager
    module PendingFeatures
      @reported = {}

      class << self
        # Called at the start of every top-level load, so that a reload
        # reports again.
        def reset
          @reported = {}
        end

        def report(feature)
          return if @reported[feature]
          @reported[feature] = true
          Log.warning("[configuration][not-supported] #{feature}: not supported yet")
        end

        def helper(name)
          Helper.new(name)
        end
      end

      # Answers every method: reports NAME.METHOD and returns itself, so
      # that chains, setters and blocks given to it are all accepted.
      class Helper < BasicObject
        def initialize(name)
          @name = name
        end

        def method_missing(method, *arguments, &block)
          PendingFeatures.report("#{@name}.#{method.to_s.delete_suffix('=')}")
          self
        end

        def respond_to_missing?(_method, _include_private = false)
          true
        end

        def inspect
          "#<pending #{@name}>"
        end
      end
    end
  end
end
