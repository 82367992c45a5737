# DatabaseSection - the database section (an ActiveRecord connection for
# applicable conditions that keep data).
#
# ActiveRecord is optional: it is required only when a file calls
# database.setup, and its absence then gives one clear error naming the
# line; a configuration without `database.setup` never needs it.
module Milter
  module Manager
    class DatabaseSection < ConfigurationSection
      section_name "database"
      item :type, nil, ->(t, v) { R.string(t, v) }
      item :name, nil, ->(t, v) { R.string(t, v) }
      item :host, nil, ->(t, v) { R.string(t, v) }
      item :port, nil, ->(t, v) { R.integer(t, v, min: 1, max: 65535, nil_as: nil) }
      item :path, nil, ->(t, v) { R.string(t, v) }
      item :user, nil, ->(t, v) { R.string(t, v) }
      item :password, nil, ->(t, v) { R.string(t, v) }
      item :extra_options, {}.freeze, lambda { |t, v|
        R.invalid(t, "a Hash", v) unless v.is_a?(Hash)
        v.dup.freeze
      }

      MYSQL_SOCKET = "/var/run/mysqld/mysqld.sock"

      # The adapter options setup would pass to ActiveRecord: MySQL gets
      # its usual host, port, socket and user when they are not set.
      def connection_options
        options = { adapter: type }
        mysql = ["mysql", "mysql2"].include?(type)
        options[:database] = name || (type == "sqlite3" ? path : nil)
        options[:host] = host || (mysql ? "localhost" : nil)
        options[:port] = port || (mysql ? 3306 : nil)
        options[:socket] = path || (mysql && File.exist?(MYSQL_SOCKET) ? MYSQL_SOCKET : nil)
        options[:username] = user || (mysql ? "root" : nil)
        options[:password] = password
        options.compact.merge(extra_options)
      end

      def setup
        location = @configuration.current_location
        fail_setup = ->(message) { raise ConfigurationError.new(message, *location) }
        fail_setup.call("database.type should be set") if type.nil?
        if ["mysql", "mysql2"].include?(type) && name.nil?
          fail_setup.call("database.name should be set")
        end
        begin
          require "active_record"
        rescue LoadError => error
          fail_setup.call("database.setup needs ActiveRecord, which is not installed " +
                          "(apt-get install ruby-activerecord): #{error.message}")
        end
        @pool = ActiveRecord::Base.establish_connection(connection_options)
        Log.info("[configuration][database][setup] #{type}")
      end

      # The model is dropped: its connection goes, unless a newer model's
      # setup has replaced it already (ActiveRecord then closed ours).
      def release
        return unless @pool
        pool, @pool = @pool, nil
        ActiveRecord::Base.remove_connection if ActiveRecord::Base.connection_pool.equal?(pool)
      end

      # Requires every Ruby file matching glob (resolved against the load
      # path); a file that fails is logged and skipped.
      def load_models(glob)
        @configuration.load_path.glob(glob).each do |file|
          begin
            Kernel.load(file)
          rescue StandardError, ScriptError => error
            Log.error("[configuration][database][load-models][error] #{file}: #{error.message}")
          end
        end
      end
    end
  end
end
