# Every item's default (doc/configuration.md; spec configuration.md §3),
# read from a configuration whose file sets nothing.
require "helper"

class TestDefaults < Test::Unit::TestCase
  include ConfigurationTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  BUILD = Milter::Manager::BuildDefaults
  DEFAULTS = {
    "package.platform" => BUILD::PLATFORM,
    "package.options" => nil,
    "security.privilege_mode" => false,
    "security.effective_user" => BUILD::EFFECTIVE_USER,
    "security.effective_group" => BUILD::EFFECTIVE_GROUP,
    "log.level" => "default",
    "log.path" => nil,
    "log.use_syslog" => true,
    "log.syslog_facility" => "mail",
    "manager.connection_spec" => BUILD::CONNECTION_SPEC,
    "manager.unix_socket_mode" => 0660,
    "manager.unix_socket_group" => BUILD::SOCKET_GROUP,
    "manager.remove_unix_socket_on_create" => true,
    "manager.remove_unix_socket_on_close" => true,
    "manager.daemon" => false,
    "manager.pid_file" => BUILD::PID_FILE,
    "manager.maintenance_interval" => 10,
    "manager.suspend_time_on_unacceptable" => 5,
    "manager.max_connections" => 0,
    "manager.max_file_descriptors" => 0,
    "manager.custom_configuration_directory" => nil,
    "manager.fallback_status" => "accept",
    "manager.fallback_status_at_disconnect" => "temporary-failure",
    "manager.event_loop_backend" => "glib",
    "manager.n_workers" => 0,
    "manager.packet_buffer_size" => 0,
    "manager.connection_check_interval" => 0,
    "manager.chunk_size" => 65535,
    "manager.max_pending_finished_sessions" => 0,
    "controller.connection_spec" => nil,
    "controller.unix_socket_mode" => 0660,
    "controller.unix_socket_group" => nil,
    "controller.remove_unix_socket_on_create" => true,
    "controller.remove_unix_socket_on_close" => true,
    "database.type" => nil,
    "database.name" => nil,
    "database.host" => nil,
    "database.port" => nil,
    "database.path" => nil,
    "database.user" => nil,
    "database.password" => nil,
    "database.extra_options" => {},
  }

  MILTER_DEFAULTS = {
    "connection_spec" => nil, "description" => nil, "enabled" => true,
    "fallback_status" => "accept", "evaluation_mode" => false,
    "applicable_conditions" => [], "command" => nil, "command_options" => nil,
    "user_name" => nil, "connection_timeout" => 297.0, "writing_timeout" => 7.0,
    "reading_timeout" => 7.0, "end_of_message_timeout" => 297.0,
  }

  def test_debian_build_defaults
    # This tree is configured on Debian 12 without --with-* options.
    omit("not configured for debian") unless BUILD::PLATFORM == "debian"
    assert_equal(["debian", "unix:/run/milter-manager/milter-manager.sock"],
                 [BUILD::PLATFORM, BUILD::CONNECTION_SPEC])
  end

  data(DEFAULTS.to_h { |name, value| [name, [name, value]] })
  def test_section_default((name, expected))
    configuration = load_text("")
    section, item = name.split(".")
    assert_equal(expected, configuration.send(section).send(item))
    assert_nil(configuration.send(section).location(item.to_sym))
  end

  def test_every_item_has_a_default_row
    configuration = load_text("")
    names = configuration.sections.flat_map do |section|
      section.items.map { |item| "#{section.section_name}.#{item.name}" }
    end
    assert_equal(DEFAULTS.keys.sort, names.sort)
  end

  data(MILTER_DEFAULTS.to_h { |name, value| [name, [name, value]] })
  def test_milter_default((name, expected))
    configuration = load_text("define_milter(\"m\")\n")
    assert_equal(expected, configuration.find_milter("m").send(name))
  end

  def test_milter_name_read_only
    milter = load_text("define_milter(\"m\")\n").find_milter("m")
    assert_equal("m", milter.name)
    assert_false(milter.respond_to?(:name=))
  end

  def test_hooks_and_checkers_default_empty
    manager = load_text("").manager
    assert_equal([{}, [], [], false],
                 [manager.connection_checkers, manager.maintained_hooks,
                  manager.event_loop_created_hooks, manager.report_memory_statistics?])
  end
end
