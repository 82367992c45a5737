# CustomXMLLoader - milter-manager.custom.conf, the file the controller's
# set-configuration command writes (XML, see the controller spec §5.2).
#
# Looked up in the load path, then in the custom configuration directory
# (manager.custom_configuration_directory, else ~EFFECTIVE_USER/.milter-
# manager), as the configuration loaded just before says. Only a file
# whose first line starts with "<" is read. Item values are the element
# texts, checked by the same rules as in Ruby files; locations are
# recorded as the file's path (REXML gives no line numbers).
require "rexml/document"

module Milter
  module Manager
    class CustomXMLLoader
      SECTIONS = ["security", "controller", "manager"]
      MILTER_ITEMS = ["description", "connection-spec", "fallback-status",
                      "evaluation-mode", "command", "command-options",
                      "enabled", "applicable-conditions"]

      def initialize(configuration)
        @configuration = configuration
        @location = nil
      end

      def current_location
        @location
      end

      def path
        found = @configuration.load_path.find_file(ConfigurationLoader::CUSTOM_FILE)
        return found if found
        directory = custom_directory
        return nil unless directory
        candidate = File.join(directory, ConfigurationLoader::CUSTOM_FILE)
        File.file?(candidate) ? candidate : nil
      end

      def custom_directory
        directory = @configuration.manager.custom_configuration_directory
        return directory if directory
        user = @configuration.security.effective_user
        return nil unless user
        File.join(Dir.home(user), ".milter-manager")
      rescue ArgumentError # no such user
        nil
      end

      def load_if_exist
        file = path
        return unless file
        content = File.read(file)
        unless content.start_with?("<")
          Log.info("[configuration][custom][ignore] #{file}: not XML")
          return
        end
        load_xml(file, content)
      end

      def load_xml(file, content)
        previous_locator = @configuration.locator
        @location = [file, nil]
        @configuration.locator = self
        begin
          document = REXML::Document.new(content)
        rescue REXML::ParseException => error
          raise ConfigurationError.new("invalid XML: #{error.message.lines.first.strip}", file)
        end
        root = document.root
        unexpected(root ? "/#{root.name}" : "/") unless root&.name == "configuration"
        root.each_element { |element| load_top(element) }
      ensure
        @configuration.locator = previous_locator
      end

      private

      def unexpected(xpath)
        raise ConfigurationError.new("unexpected element: #{xpath}", *@location)
      end

      def load_top(element)
        case element.name
        when *SECTIONS
          element.each_element { |item| load_section_item(element.name, item) }
        when "milters"
          element.each_element do |milter|
            unexpected(milter.xpath) unless milter.name == "milter"
            load_milter(milter)
          end
        when "last-modified", "applicable-conditions"
          # Written by get-configuration; conditions come from Ruby files.
        else
          unexpected(element.xpath)
        end
      end

      def load_section_item(section_name, item)
        section = @configuration.send(section_name)
        name = item.name.tr("-", "_")
        unless section.items.any? { |candidate| candidate.name.to_s == name }
          unexpected(item.xpath)
        end
        section.send("#{name}=", item.text.to_s)
      end

      def load_milter(element)
        name = element.elements["name"]&.text
        unless name && !name.empty?
          raise ConfigurationError.new("milter without <name>", *@location)
        end
        milter = @configuration.define_milter(name)
        element.each_element do |item|
          next if item.name == "name"
          unexpected(item.xpath) unless MILTER_ITEMS.include?(item.name)
          load_milter_item(milter, item)
        end
      end

      def load_milter_item(milter, item)
        text = item.text.to_s
        case item.name
        when "enabled"
          milter.enabled = (text == "true")
        when "connection-spec"
          milter.connection_spec = text unless text.empty?
        when "applicable-conditions"
          milter.applicable_conditions =
            item.get_elements("applicable-condition").map { |condition| condition.text.to_s }
        else
          milter.send("#{item.name.tr('-', '_')}=", text)
        end
      end
    end
  end
end
