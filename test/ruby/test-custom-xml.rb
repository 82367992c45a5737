# milter-manager.custom.conf (the controller's XML file).
require "helper"

class TestCustomXML < Test::Unit::TestCase
  include ConfigurationTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  def custom_file
    File.join(@work_dir, "milter-manager.custom.conf")
  end

  def test_items_and_milters
    write("milter-manager.custom.conf", <<~XML)
      <configuration>
        <last-modified>1767225600</last-modified>
        <security><privilege-mode>true</privilege-mode></security>
        <manager><n-workers>3</n-workers><fallback-status>reject</fallback-status></manager>
        <controller><connection-spec>inet:2929@localhost</connection-spec></controller>
        <milters>
          <milter>
            <name>clamav-milter</name>
            <enabled>false</enabled>
            <connection-spec>unix:/run/clamav/clamav-milter.ctl</connection-spec>
            <command>/usr/bin/systemctl</command>
            <command-options>start clamav-milter</command-options>
            <applicable-conditions><applicable-condition>S25R</applicable-condition></applicable-conditions>
          </milter>
        </milters>
      </configuration>
    XML
    configuration = load_text(<<~CONF)
      define_applicable_condition("S25R")
      define_milter("clamav-milter") { |milter| milter.fallback_status = "reject" }
    CONF
    milter = configuration.find_milter("clamav-milter")
    assert_equal([true, 3, "reject", "inet:2929@localhost", false,
                  "unix:/run/clamav/clamav-milter.ctl", "start clamav-milter", ["S25R"], "reject",
                  [custom_file, nil]],
                 [configuration.security.privilege_mode, configuration.manager.n_workers,
                  configuration.manager.fallback_status, configuration.controller.connection_spec,
                  milter.enabled, milter.connection_spec, milter.command_options,
                  milter.applicable_conditions, milter.fallback_status,
                  configuration.manager.location(:n_workers)])
  end

  def test_not_xml_is_ignored
    write("milter-manager.custom.conf", "manager.n_workers = 7\n")
    assert_equal(0, load_text("").manager.n_workers)
  end

  def test_unexpected_element
    write("milter-manager.custom.conf", "<configuration><log><level>all</level></log></configuration>\n")
    error = load_error("")
    assert_equal("#{custom_file}: unexpected element: /configuration/log", error.message)
  end

  def test_invalid_value_names_the_file
    write("milter-manager.custom.conf",
          "<configuration><manager><n-workers>many</n-workers></manager></configuration>\n")
    error = load_error("")
    assert_equal("#{custom_file}: manager.n_workers should be an Integer 0..1000 but was \"many\"",
                 error.message)
  end

  def test_custom_configuration_directory
    write("custom/milter-manager.custom.conf",
          "<configuration><manager><max-connections>9</max-connections></manager></configuration>\n")
    configuration = load_text("manager.custom_configuration_directory = \"#{@work_dir}/custom\"\n")
    assert_equal(9, configuration.manager.max_connections)
  end
end
