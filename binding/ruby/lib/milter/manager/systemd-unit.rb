# SystemdUnit - what detection needs from a service unit and its
# drop-ins (spec detection.md §5.2, and its §9 suggestion: follow
# drop-ins and Environment=, since the original ignored both and kept a
# stale socket, issue #205):
#
#   unit = SystemdUnit.new([unit_text, drop_in_text, ...])   # in order
#   unit.description, unit.exec_start, unit.environment (Hash),
#   unit.environment_files ([[path, optional?], ...]), unit.wanted_by
#
# Texts are applied in order, as systemd applies drop-ins after the
# unit: a later value overrides; an empty "ExecStart=",
# "Environment=" or "EnvironmentFile=" clears the earlier ones.
module Milter
  module Manager
    class SystemdUnit
      attr_reader :description, :exec_start, :environment, :environment_files, :wanted_by

      def initialize(texts)
        @description = nil
        @exec_start = nil
        @environment = {}
        @environment_files = []
        @wanted_by = []
        texts.each { |text| apply(text) }
      end

      private

      def apply(text)
        section = nil
        DetectorRules.logical_lines(text, ["#", ";"]).each do |line|
          if (match = /\A\[(.+)\]\z/.match(line))
            section = match[1]
          elsif (match = /\A([A-Za-z]+)\s*=\s*(.*)\z/.match(line))
            set(section, match[1], match[2].strip)
          end
        end
      end

      def set(section, key, value)
        case [section, key]
        when ["Unit", "Description"] then @description = value
        when ["Service", "ExecStart"] then @exec_start = value.empty? ? nil : value
        when ["Service", "Environment"] then add_environment(value)
        when ["Service", "EnvironmentFile"] then add_environment_file(value)
        when ["Install", "WantedBy"]
          value.empty? ? @wanted_by.clear : @wanted_by.concat(value.split)
        end
      end

      def add_environment(value)
        return @environment.clear if value.empty?
        DetectorRules.words(value).each do |word|
          name, setting = word.split("=", 2)
          @environment[name] = setting if setting && /\A\w+\z/.match?(name)
        end
      end

      def add_environment_file(value)
        return @environment_files.clear if value.empty?
        optional = value.start_with?("-")
        @environment_files << [value.delete_prefix("-"), optional]
      end
    end
  end
end
