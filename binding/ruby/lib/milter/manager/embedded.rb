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

      # The --show-config text; if writing it fails, the error and its
      # backtrace instead.
      def dump(configuration)
        ConfigurationDumper.new(configuration).dump
      rescue StandardError => error
        ([error.message] + (error.backtrace || [])).join("\n") + "\n"
      end

      # The model as plain data (Configuration#to_h).
      def to_h(configuration)
        configuration.to_h
      end
    end
  end
end
