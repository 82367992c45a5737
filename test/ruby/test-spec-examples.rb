# Configurations that must load unchanged: the --show-config example of
# the specification (fixtures/spec-example, copied verbatim without its
# "..." lines), the bundled conf/ tree, the detectors' words (on an
# empty system: nothing detected), and the words that belong to later
# work (accepted, reported as not supported, never an error).
require "helper"

class TestSpecExamples < Test::Unit::TestCase
  include ConfigurationTestHelper

  setup :setup_work_dir
  setup :setup_empty_detection_root
  teardown :teardown_detection_root
  teardown :teardown_work_dir

  # Detection sees an empty system here, whatever this machine has
  # installed (test-detection-*.rb test detection itself).
  def setup_empty_detection_root
    @saved_root = Milter::Manager::Detector.instance_variable_get(:@root)
    Milter::Manager::Detector.root = File.join(@work_dir, "empty-root")
  end

  def teardown_detection_root
    Milter::Manager::Detector.root = @saved_root
  end

  def test_show_config_example_of_the_spec
    configuration = load_configuration([fixture_path("spec-example")])
    milter = configuration.find_milter("spamass-milter")
    assert_equal(["unix:/var/spool/postfix/milter-manager/milter-manager.sock",
                  "temporary-failure", "error|warning|statistics", "mail",
                  "unix:/run/spamass/spamass.sock", ["Remote Network"], 297.0],
                 [configuration.manager.connection_spec, configuration.manager.fallback_status,
                  configuration.log.level, configuration.security.effective_group,
                  milter.connection_spec, milter.applicable_conditions,
                  milter.end_of_message_timeout])
  end

  def bundled_conf
    File.expand_path("../../conf", __dir__)
  end

  def test_bundled_configuration
    configuration = load_configuration([bundled_conf])
    assert_equal(["S25R", "Remote Network", "Authenticated", "Unauthenticated",
                  "Sendmail Compatible", "Stress Notify", "No Stress", "Trust",
                  "DNSBL Listed", "Not DNSBL Listed"].sort,
                 configuration.applicable_condition_names.sort)
    platform_file = File.join(bundled_conf, "defaults", "#{configuration.package.platform}.conf")
    assert_equal(File.exist?(platform_file), configuration.security.privilege_mode)
    assert_equal([], configuration.milter_names)
    warnings = @log_lines.select { |level, _| level == :warning }.map(&:last)
    assert_equal([], warnings.grep(/the (S25R|Remote Network|Authenticated|Sendmail Compatible|Stress Notify|Trust|DNSBL Listed) /))
  end

  # milter-manager.local.conf next to a copy of the bundled files: read
  # last, it may use every condition the bundled files define.
  def test_local_conf_is_loaded_last
    write("milter-manager.local.conf", <<~CONF)
      manager.connection_spec = "inet:10025@[127.0.0.1]"
      define_milter("clamav-milter") do |milter|
        milter.connection_spec = "unix:/run/clamav/clamav-milter.ctl"
        milter.applicable_conditions = ["S25R", "Remote Network"]
      end
    CONF
    configuration = load_configuration([@work_dir, bundled_conf])
    assert_equal(["inet:10025@[127.0.0.1]", ["clamav-milter"]],
                 [configuration.manager.connection_spec, configuration.milter_names])
  end

  def test_redhat_version_files_load_redhat
    configuration = load_text("package.platform = \"redhat9\"\nload_default\n")
    assert_false(configuration.security.privilege_mode) # no defaults in @work_dir
    configuration = load_configuration([@work_dir, bundled_conf].tap do
      write("milter-manager.conf", "package.platform = \"redhat9\"\nload_default\n")
    end)
    assert_true(configuration.security.privilege_mode)
  end

  LATER_WORDS = <<~CONF
    dnsbl.add_service("zen.example.org", "127.0.0.10/31")
    dnsbl.name_servers = ["127.0.0.1"]
    define_policy("p") { |policy| policy.from = /x/ }
    manager.netstat_connection_checker.connected?(nil)
    define_applicable_condition("Mine") do |condition|
      condition.define_connect_stopper { |context, host, address| host == "x" }
      condition.define_envelope_recipient_stopper { |context, recipient| false }
      condition.define_body_stopper { |context, chunk| false }
    end
    ["milter-greylist", "clamav-milter"].each do |candidate|
      detector = DebianDetector.new(configuration, candidate)
      detector.detect
      detector.apply(self) { |milter| milter.applicable_conditions = [] }
    end
    RedHatDetector.new(configuration, "spamass-milter").detect
    FreeBSDRCDetector.new(configuration, "milter-greylist").detect
    PkgsrcRCDetector.new(configuration, "milter-greylist").detect
    manager.n_workers = 1
  CONF

  def test_later_issue_words_are_accepted_and_reported
    configuration = load_text(LATER_WORDS)
    assert_equal([1, []], [configuration.manager.n_workers, configuration.milter_names])
    reported = @log_lines.map(&:last).grep(/\A\[configuration\]\[not-supported\] /)
    ["define_policy",
     "manager.netstat_connection_checker.connected?"].each do |feature|
      assert_include(reported, "[configuration][not-supported] #{feature}: not supported yet")
    end
    assert_equal(reported.uniq, reported, "each feature reported once per load")
    assert_empty(reported.grep(/stopper|dnsbl/), "stoppers and the dnsbl helper are supported")
  end
end
