# The package, security, log, manager and controller sections, with
# every item's default and rule (doc/configuration.md, items tables).
module Milter
  module Manager
    R = ValueRules
    private_constant :R

    class PackageSection < ConfigurationSection
      section_name "package"
      item :platform, BuildDefaults::PLATFORM, ->(t, v) { R.string(t, v) }
      item :options, BuildDefaults::PACKAGE_OPTIONS, ->(t, v) { R.package_options(t, v) }

      # Stored as "K1=V1,K2=V2" (that is what --show-config writes), read
      # as a Hash.
      def options
        R.parse_package_options(value(:options))
      end
    end

    class SecuritySection < ConfigurationSection
      section_name "security"
      item :privilege_mode, false, ->(t, v) { R.boolean(t, v) }
      item :effective_user, BuildDefaults::EFFECTIVE_USER, ->(t, v) { R.string(t, v) }
      item :effective_group, BuildDefaults::EFFECTIVE_GROUP, ->(t, v) { R.string(t, v) }
    end

    class LogSection < ConfigurationSection
      section_name "log"
      # "default" until a file sets it; then the enabled level names.
      item :level, "default", lambda { |t, v|
        names = R.log_levels(t, v)
        (names.empty? ? "none" : names.join("|")).freeze
      }
      item :path, nil, ->(t, v) { R.string(t, v) }
      item :use_syslog, true, ->(t, v) { R.boolean(t, v) }
      item :syslog_facility, "mail", ->(t, v) { R.enum(t, v, R::SYSLOG_FACILITIES) }
    end

    # Items shared by the two listening sockets (MTA and controller).
    module SocketItems
      def self.define(section, spec_default, nil_spec_allowed:, group_default:)
        section.item :connection_spec, spec_default,
                     ->(t, v) { R.connection_spec(t, v, nil_allowed: nil_spec_allowed) }
        section.item :unix_socket_mode, 0660,
                     ->(t, v) { R.integer(t, v, max: 07777) }, format: :octal
        section.item :unix_socket_group, group_default, ->(t, v) { R.string(t, v) }
        section.item :remove_unix_socket_on_create, true, ->(t, v) { R.boolean(t, v) }
        section.item :remove_unix_socket_on_close, true, ->(t, v) { R.boolean(t, v) }
      end
    end

    class ManagerSection < ConfigurationSection
      section_name "manager"
      SocketItems.define(self, BuildDefaults::CONNECTION_SPEC || "inet:10025@[127.0.0.1]",
                         nil_spec_allowed: false,
                         group_default: BuildDefaults::SOCKET_GROUP)
      item :daemon, false, ->(t, v) { R.boolean(t, v) }
      item :pid_file, BuildDefaults::PID_FILE, ->(t, v) { R.string(t, v) }
      item :maintenance_interval, 10, ->(t, v) { R.integer(t, v, nil_as: 0) },
           format: :zero_as_nil
      item :suspend_time_on_unacceptable, 5, ->(t, v) { R.integer(t, v) }
      item :max_connections, 0, ->(t, v) { R.integer(t, v) }
      item :max_file_descriptors, 0, ->(t, v) { R.integer(t, v) }
      item :custom_configuration_directory, nil, ->(t, v) { R.string(t, v) }
      item :fallback_status, "accept", ->(t, v) { R.status(t, v) }
      item :fallback_status_at_disconnect, "temporary-failure", ->(t, v) { R.status(t, v) }
      item :event_loop_backend, "glib", ->(t, v) { R.enum(t, v, R::EVENT_LOOP_BACKENDS) }
      item :n_workers, 0, ->(t, v) { R.integer(t, v, max: 1000) }
      item :packet_buffer_size, 0, ->(t, v) { R.integer(t, v) }
      item :connection_check_interval, 0, ->(t, v) { R.integer(t, v, nil_as: 0) }
      item :chunk_size, 65535, ->(t, v) { R.integer(t, v, min: 1, max: 65535, nil_as: 65535) }
      item :max_pending_finished_sessions, 0, ->(t, v) { R.integer(t, v) }

      NETSTAT_CHECKER = :netstat

      # Checkers by name (a block, or NETSTAT_CHECKER), hooks in order.
      attr_reader :connection_checkers, :maintained_hooks,
                  :event_loop_created_hooks

      def clear
        super
        @connection_checkers = {}
        @maintained_hooks = []
        @event_loop_created_hooks = []
        @report_memory_statistics = false
      end

      def use_netstat_connection_checker(interval = 5)
        self.connection_check_interval = interval
        @connection_checkers["netstat"] = NETSTAT_CHECKER
      end

      def define_connection_checker(name, &block)
        raise ConfigurationError.new("manager.define_connection_checker needs a block",
                                     *@configuration.current_location) unless block
        @connection_checkers[name.to_s] = block
      end

      def report_memory_statistics
        @report_memory_statistics = true
      end

      def report_memory_statistics?
        @report_memory_statistics
      end

      def maintained(&block)
        @maintained_hooks << block if block
      end

      def event_loop_created(&block)
        @event_loop_created_hooks << block if block
      end

      def netstat_connection_checker
        PendingFeatures.helper("manager.netstat_connection_checker")
      end
    end

    class ControllerSection < ConfigurationSection
      section_name "controller"
      SocketItems.define(self, nil, nil_spec_allowed: true, group_default: nil)
    end
  end
end
