# ConfigurationDumper - the text of --show-config: the effective
# configuration written back as configuration syntax.
#
# Sections in the order package, security, log, manager, controller,
# database, then one define_applicable_condition block per condition and
# one define_milter block per milter, separated by one blank line. Each
# item is preceded by "# FILE:LINE" (where it was last assigned) or
# "# default". Not written: hooks, connection checkers,
# database.extra_options.
module Milter
  module Manager
    class ConfigurationDumper
      HIDDEN_ITEMS = { "database" => [:extra_options] }

      def initialize(configuration)
        @configuration = configuration
      end

      def dump
        blocks = @configuration.sections.map { |section| dump_section(section) }
        @configuration.applicable_conditions.each do |condition|
          blocks << dump_condition(condition)
        end
        @configuration.milters.each { |milter| blocks << dump_milter(milter) }
        blocks.map { |lines| lines.join("\n") + "\n" }.join("\n")
      end

      private

      def comment(location, indent = "")
        return "#{indent}# default" if location.nil?
        file, line = location
        line ? "#{indent}# #{file}:#{line}" : "#{indent}# #{file}"
      end

      def literal(value, format)
        case format
        when :octal then format("0%o", value)
        when :zero_as_nil then (value.zero? ? nil : value).inspect
        else value.inspect
        end
      end

      def item_lines(owner, receiver, item, indent)
        [comment(owner.location(item.name), indent),
         "#{indent}#{receiver}.#{item.name} = #{literal(owner.value(item.name), item.format)}"]
      end

      def dump_section(section)
        hidden = HIDDEN_ITEMS.fetch(section.section_name, [])
        section.items.reject { |item| hidden.include?(item.name) }.flat_map do |item|
          item_lines(section, section.section_name, item, "")
        end
      end

      def dump_condition(condition)
        [comment(condition.definition_location),
         "define_applicable_condition(#{condition.name.inspect}) do |condition|",
         comment(condition.description_location, "  "),
         "  condition.description = #{condition.description.inspect}",
         "end"]
      end

      def dump_milter(milter)
        lines = [comment(milter.definition_location),
                 "define_milter(#{milter.name.inspect}) do |milter|"]
        milter.items.each do |item|
          lines.concat(item_lines(milter, "milter", item, "  "))
          lines.concat(condition_lines(milter)) if item.name == :evaluation_mode
        end
        lines << "end"
      end

      def condition_lines(milter)
        entries = milter.applicable_condition_entries
        return ["  # default", "  milter.applicable_conditions = []"] if entries.empty?
        lines = ["  milter.applicable_conditions = ["]
        entries.each do |name, location|
          lines << comment(location, "    ")
          lines << "    #{name.inspect},"
        end
        lines << "  ]"
      end
    end
  end
end
