# Log - where the configuration code writes its log lines.
#
# Inside the daemon the C layer defines Log.native_log(LEVEL, MESSAGE),
# which hands the line to the shared C logger (milter/core). Run from
# plain Ruby (the tests) the lines go to standard error, or to a sink a
# test installs to look at them.
module Milter
  module Manager
    module Log
      LEVELS = [:critical, :error, :warning, :info, :debug,
                :statistics, :profile]

      class << self
        # A callable(level, message) that receives every line instead of
        # the default output; nil restores the default.
        attr_accessor :sink

        # session_id: the session the line is about (0: none), shown as
        # the line's "[ID]" prefix.
        def log(level, message, session_id = 0)
          if @sink
            @sink.call(level, message)
          elsif respond_to?(:native_log)
            native_log(level.to_s, message, session_id.to_i)
          else
            $stderr.puts("#{level}: #{message}")
          end
          nil
        end

        LEVELS.each do |level|
          define_method(level) do |message, session_id = 0|
            log(level, message, session_id)
          end
        end
      end
    end
  end
end
