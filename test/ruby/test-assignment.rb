# Assignments in configuration files: accepted values are stored (and
# readable back), refused ones raise naming FILE:LINE and the allowed
# values; the whole load fails so the caller keeps its old configuration.
require "helper"

class TestAssignment < Test::Unit::TestCase
  include ConfigurationTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  GOOD = [
    ["package.platform = \"freebsd\"", "package.platform", "freebsd"],
    ["package.options = {\"prefix\" => \"/usr/pkg\"}", "package.options", { "prefix" => "/usr/pkg" }],
    ["security.privilege_mode = \"true\"", "security.privilege_mode", true],
    ["security.effective_user = \"milter-manager\"", "security.effective_user", "milter-manager"],
    ["log.level = \"error|statistics\"", "log.level", "error|statistics"],
    ["log.level = \"none\"", "log.level", "none"],
    ["log.syslog_facility = \"local3\"", "log.syslog_facility", "local3"],
    ["manager.connection_spec = \"inet:10025@[127.0.0.1]\"", "manager.connection_spec", "inet:10025@[127.0.0.1]"],
    ["manager.unix_socket_mode = 0600", "manager.unix_socket_mode", 0600],
    ["manager.maintenance_interval = nil", "manager.maintenance_interval", 0],
    ["manager.fallback_status = \"temporary_failure\"", "manager.fallback_status", "temporary-failure"],
    ["manager.fallback_status_at_disconnect = \"reject\"", "manager.fallback_status_at_disconnect", "reject"],
    ["manager.event_loop_backend = \"libev\"", "manager.event_loop_backend", "libev"],
    ["manager.n_workers = 4", "manager.n_workers", 4],
    ["manager.chunk_size = nil", "manager.chunk_size", 65535],
    ["manager.connection_check_interval = nil", "manager.connection_check_interval", 0],
    ["controller.connection_spec = \"unix:/run/mm/controller.sock\"", "controller.connection_spec", "unix:/run/mm/controller.sock"],
    ["database.type = \"sqlite3\"", "database.type", "sqlite3"],
    ["database.port = 3307", "database.port", 3307],
  ]

  BAD = [
    ["security.privilege_mode = \"yes\"",
     'security.privilege_mode should be one of [true, false] but was "yes"'],
    ["log.syslog_facility = \"mial\"",
     "log.syslog_facility should be one of #{Milter::Manager::ValueRules::SYSLOG_FACILITIES.inspect} but was \"mial\""],
    ["manager.fallback_status = \"pass\"",
     'manager.fallback_status should be one of ["accept", "temporary-failure", "reject", "discard"] but was "pass"'],
    ["manager.event_loop_backend = \"epoll\"",
     'manager.event_loop_backend should be one of ["glib", "libev"] but was "epoll"'],
    ["manager.n_workers = 1001", "manager.n_workers should be an Integer 0..1000 but was 1001"],
    ["manager.chunk_size = 65536", "manager.chunk_size should be an Integer 1..65535 or nil but was 65536"],
    ["manager.connection_spec = nil",
     "manager.connection_spec should be a connection spec String but was nil"],
    ["manager.connection_spec = \"inet:0\"",
     'manager.connection_spec should be a connection spec (unix:PATH, inet:PORT[@HOST], ' +
     'inet6:PORT[@HOST]) but was "inet:0": port 0 is out of range 1-65535'],
    ["controller.unix_socket_mode = 010000",
     "controller.unix_socket_mode should be an Integer 0..4095 but was 4096"],
    ["database.extra_options = []", "database.extra_options should be a Hash but was []"],
  ]

  data(GOOD.to_h { |line, name, value| [line, [line, name, value]] })
  def test_good((line, name, expected))
    configuration = load_text("# first line\n#{line}\n")
    section, item = name.split(".")
    assert_equal(expected, configuration.send(section).send(item))
    assert_equal([main_file, 2], configuration.send(section).location(item.to_sym))
  end

  data(BAD.to_h { |line, message| [line, [line, message]] })
  def test_bad((line, message))
    write("local.conf", "\n\n#{line}\n")
    error = load_error("load(\"local.conf\")\n")
    file = File.join(@work_dir, "local.conf")
    assert_equal(["#{file}:3: #{message}", file, 3],
                 [error.message, error.file, error.line])
  end

  def test_bad_milter_item
    error = load_error(<<~CONF)
      define_milter("clamav") do |milter|
        milter.fallback_status = "ok"
      end
    CONF
    assert_equal("#{main_file}:2: milter.fallback_status should be one of " +
                 '["accept", "temporary-failure", "reject", "discard"] but was "ok"',
                 error.message)
  end

  def test_unknown_applicable_condition_lists_defined_names
    error = load_error(<<~CONF)
      define_applicable_condition("S25R")
      define_milter("m") do |milter|
        milter.applicable_conditions = ["S25R", "Nope"]
      end
    CONF
    assert_equal("#{main_file}:3: milter.applicable_conditions should be one of " +
                 '["S25R"] but was "Nope"', error.message)
  end

  # The original raised when a file read manager.fallback_status.
  def test_every_item_readable_in_a_file
    configuration = load_text(<<~CONF)
      manager.fallback_status = "reject"
      manager.fallback_status_at_disconnect = manager.fallback_status
    CONF
    assert_equal("reject", configuration.manager.fallback_status_at_disconnect)
  end

  def test_manager_methods
    configuration = load_text(<<~CONF)
      manager.use_netstat_connection_checker(7)
      manager.define_connection_checker("mine") { |context| true }
      manager.report_memory_statistics
      manager.maintained { 1 }
      manager.event_loop_created { |loop| 2 }
    CONF
    manager = configuration.manager
    assert_equal([7, ["netstat", "mine"], true, 1, 1],
                 [manager.connection_check_interval, manager.connection_checkers.keys,
                  manager.report_memory_statistics?, manager.maintained_hooks.size,
                  manager.event_loop_created_hooks.size])
  end

  def test_database_setup_without_active_record
    begin
      require "active_record"
      omit("ActiveRecord is installed")
    rescue LoadError
      # the case under test
    end
    error = load_error(<<~CONF)
      database.type = "sqlite3"
      database.name = ":memory:"
      database.setup
    CONF
    assert_match(/\A#{Regexp.escape(main_file)}:3: database.setup needs ActiveRecord, which is not installed/,
                 error.message)
  end

  def test_database_setup_needs_type
    error = load_error("database.setup\n")
    assert_equal("#{main_file}:1: database.type should be set", error.message)
  end

  def test_database_mysql_options
    configuration = load_text("database.type = \"mysql2\"\ndatabase.name = \"mm\"\n")
    options = configuration.database.connection_options
    assert_equal(["localhost", 3306, "root", "mm"],
                 options.values_at(:host, :port, :username, :database))
  end
end
