# Configuration - the whole configuration model in plain Ruby objects:
# the six sections, the applicable conditions and the ordered milters.
#
# A fresh Configuration is built for every (re)load, so "clear" is simply
# a new object and a failed load leaves the previous one untouched.
# to_h is the data entry point for the C side: plain Hashes, Arrays,
# Strings, Integers, Floats, booleans and nil only (see #to_h).
module Milter
  module Manager
    class Configuration
      SECTIONS = [:package, :security, :log, :manager, :controller, :database]

      attr_reader(*SECTIONS)
      attr_reader :load_path
      # Answers current_location -> [FILE, LINE] or nil (the loader).
      attr_accessor :locator

      def initialize(load_path_directories = [])
        @load_path = LoadPath.new(load_path_directories)
        @locator = nil
        @package = PackageSection.new(self)
        @security = SecuritySection.new(self)
        @log = LogSection.new(self)
        @manager = ManagerSection.new(self)
        @controller = ControllerSection.new(self)
        @database = DatabaseSection.new(self)
        @milters = {}
        @conditions = {}
      end

      def current_location
        @locator&.current_location
      end

      def sections
        SECTIONS.map { |name| send(name) }
      end

      # Redefining an existing name opens the same milter again: every
      # setting and its place in the list are kept. (The original built
      # a copy that lost fallback_status and evaluation_mode and moved it
      # to the end of the list.)
      def define_milter(name)
        name = ValueRules.string("define_milter name", name, nil_allowed: false)
        milter = (@milters[name] ||= MilterDefinition.new(self, name))
        milter.definition_location = current_location
        milter
      end

      def remove_milter(name)
        @milters.delete(name)
      end

      def milters
        @milters.values
      end

      def milter_names
        @milters.keys
      end

      def find_milter(name)
        @milters[name]
      end

      # Redefining keeps only the description (and the position); the
      # stoppers start empty, as in the original. Milters refer to
      # conditions by name, so they all see the new definition, also
      # those defined before it (the original's stale object:
      # configuration.md §6 quirk 2).
      def define_applicable_condition(name)
        name = ValueRules.string("define_applicable_condition name", name,
                                 nil_allowed: false)
        old = @conditions[name]
        condition = ApplicableConditionDefinition.new(self, name)
        if old&.description
          condition.instance_variable_set(:@description, old.description)
          condition.description_location = old.description_location
        end
        condition.definition_location = current_location
        @conditions[name] = condition
      end

      def applicable_conditions
        @conditions.values
      end

      def applicable_condition_names
        @conditions.keys
      end

      def find_applicable_condition(name)
        @conditions[name]
      end

      # {
      #   "package" => {"platform" => "debian", "options" => nil},
      #   "security" => {...}, "log" => {...}, "manager" => {...},
      #   "controller" => {...}, "database" => {...},
      #   "applicable_conditions" => [{"name", "description", "stages"}],
      #   "milters" => [{"name", "connection_spec", ..., "applicable_conditions" => [names]}],
      #   "connection_checkers" => [names], "report_memory_statistics" => bool,
      # }
      # Section hashes hold every item of that section by its DSL name;
      # package.options is the "K=V,..." text; log.level the level names
      # joined by "|" (or "default"/"none"); statuses are their names.
      def to_h
        hash = {}
        sections.each { |section| hash[section.section_name] = section.to_h }
        hash["applicable_conditions"] = applicable_conditions.map(&:to_h)
        hash["milters"] = milters.map(&:to_h)
        hash["connection_checkers"] = manager.connection_checkers.keys
        hash["report_memory_statistics"] = manager.report_memory_statistics?
        hash
      end
    end
  end
end
