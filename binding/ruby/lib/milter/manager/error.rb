# Errors raised while loading a configuration.
#
# InvalidValue is raised by the value rules without knowing where the
# assignment was written; the section that received the value turns it
# into a ConfigurationError carrying FILE and LINE, so that every message
# an administrator sees names the place to fix.
module Milter
  module Manager
    # A value that its item does not accept. message: "TARGET should be
    # one of [...] but was VALUE" (or "... should be ... but was ...").
    class InvalidValue < ArgumentError
    end

    # An error located in a configuration file.
    class ConfigurationError < StandardError
      attr_reader :file, :line, :detail

      def initialize(detail, file = nil, line = nil)
        @detail = detail
        @file = file
        @line = line
        super(file ? "#{file}#{line ? ":#{line}" : ""}: #{detail}" : detail)
      end
    end

    # load("PATH") found nothing for PATH.
    class MissingPath < ConfigurationError
      attr_reader :path

      def initialize(path, file = nil, line = nil)
        @path = path
        super("#{path} doesn't exist.", file, line)
      end
    end
  end
end
