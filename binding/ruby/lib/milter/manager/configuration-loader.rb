# ConfigurationLoader - the object configuration files are evaluated in.
#
# Every DSL word of milter-manager.conf is a public method of this class
# (load, load_if_exist, load_default, define_milter, remove_milter,
# defined_milters, define_applicable_condition, the section words ...).
# Files are evaluated with instance_eval under their own path, so the
# caller's location (FILE:LINE) of every assignment is found in the
# backtrace; the loader keeps the stack of files being evaluated for
# that.
#
# Errors: a file that raises aborts the whole load with a
# ConfigurationError naming FILE:LINE (see ConfigurationLoader.load);
# the caller keeps its previous configuration. (The original logged and
# continued with a half-built configuration, which hid errors such as a
# broken platform file skipping milter-manager.local.conf.)
module Milter
  module Manager
    class ConfigurationLoader
      include Detectors
      include BuiltinConditionWords

      MAIN_FILE = "milter-manager.conf"
      CUSTOM_FILE = "milter-manager.custom.conf"
      MAX_NESTING = 32

      # Loads MAIN_FILE found in directories, then the custom XML file,
      # into a fresh Configuration and returns it. Every failure is a
      # ConfigurationError with the FILE and LINE to fix when known.
      def self.load(directories)
        configuration = Configuration.new(directories)
        loader = new(configuration)
        loader.guard do
          main = configuration.load_path.find_file(MAIN_FILE)
          unless main
            raise ConfigurationError,
                  "path #{MAIN_FILE} doesn't exist in load path " +
                  "(#{configuration.load_path.directories.inspect})"
          end
          loader.load(main)
          CustomXMLLoader.new(configuration).load_if_exist
        end
        configuration
      ensure
        configuration.locator = nil if configuration
      end

      attr_reader :configuration

      # Short, so that "undefined method ... for #<...>" stays readable.
      def inspect
        "#<configuration loader>"
      end

      def initialize(configuration)
        @configuration = configuration
        @configuration.locator = self
        @files = []
        @evaluated = []
      end

      # [FILE, LINE] of the innermost frame in a configuration file.
      def current_location
        caller_locations.each do |location|
          return [location.path, location.lineno] if @files.include?(location.path)
        end
        nil
      end

      # Runs block, turning every exception into a ConfigurationError
      # located in a configuration file.
      def guard
        yield
      rescue ConfigurationError
        raise
      rescue SyntaxError => error
        match = /\A(.+?):(\d+): (.*)/m.match(error.message)
        raise error unless match
        raise ConfigurationError.new("syntax error: #{match[3].lines.first.strip}",
                                     match[1], match[2].to_i)
      rescue Exception => error # a file may even call exit: never the daemon's end
        frame = (error.backtrace_locations || []).find do |location|
          @evaluated.include?(location.path)
        end
        raise ConfigurationError.new("#{error.message} (#{error.class})",
                                     frame&.path, frame&.lineno)
      end

      def load(path)
        files = @configuration.load_path.resolve(path)
        raise MissingPath.new(path, *current_location) if files.empty?
        files.each { |file| evaluate(file) }
        nil
      end

      def load_if_exist(path)
        files = @configuration.load_path.resolve(path)
        files.each { |file| evaluate(file) }
        nil
      end

      def load_default
        platform = @configuration.package.platform
        load_if_exist("defaults/#{platform}.conf") if platform
      end

      def package; @configuration.package; end
      def security; @configuration.security; end
      def log; @configuration.log; end
      def manager; @configuration.manager; end
      def controller; @configuration.controller; end
      def database; @configuration.database; end

      def configuration
        @configuration
      end

      def define_milter(name)
        milter = @configuration.define_milter(name)
        yield(milter) if block_given?
        milter
      end

      def remove_milter(name)
        @configuration.remove_milter(name)
        nil
      end

      def defined_milters
        @configuration.milter_names
      end

      def define_applicable_condition(name)
        condition = @configuration.define_applicable_condition(name)
        yield(condition) if block_given?
        condition
      end

      # Undocumented and broken in the original; not reproduced.
      def define_policy(_name, &_block)
        PendingFeatures.report("define_policy")
        nil
      end

      private

      def evaluate(file)
        if @files.size >= MAX_NESTING
          raise ConfigurationError.new("load nested more than #{MAX_NESTING} levels: #{file}",
                                       *current_location)
        end
        content = File.read(file)
        @files.push(file)
        @evaluated << file unless @evaluated.include?(file)
        begin
          instance_eval(content, file, 1)
        ensure
          @files.pop
        end
      end
    end
  end
end
