# The built-in conditions as the bundled configuration ships them: each
# name with its stages, the words of the original's documentation
# loading from milter-manager.local.conf, and --show-config (in Ruby and
# through the C embedding) on the bundled tree.
require "helper"
require "fake-condition-context"
require "open3"

class TestBuiltinConditions < Test::Unit::TestCase
  include ConfigurationTestHelper
  include ConditionTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  STAGES = {
    "S25R" => ["connect"],
    "Remote Network" => ["connect"],
    "Authenticated" => ["envelope_from"],
    "Unauthenticated" => ["envelope_from"],
    "Sendmail Compatible" => ["connect", "envelope_from"],
    "Stress Notify" => ["connect"],
    "No Stress" => ["connect"],
    "Trust" => ["envelope_from"],
  }

  def test_stages
    configuration = load_bundled
    assert_equal(STAGES, STAGES.keys.to_h { |name|
                   [name, configuration.find_applicable_condition(name).to_h["stages"]]
                 })
  end

  # The settings the original's documentation shows.
  DOCUMENTED = <<~CONF
    s25r.add_whitelist(/\\.example\\.com\\z/)
    s25r.add_whitelist { |host| host == "mx.example.net" }
    s25r.add_blacklist(/\\Ahost\\d+\\./)
    s25r.check_only_ipv4 = false
    remote_network.add_local_address("192.168.1.0/24")
    remote_network.add_remote_address("192.168.1.254")
    remote_network.add_local_address("2001:db8::/32")
    stress.threshold_n_connections = 30
    trust.add_envelope_from_domain("example.com")
    trust.add_envelope_from_domain(/\\.example\\.org\\z/)
    define_milter("clamav-milter") do |milter|
      milter.connection_spec = "unix:/run/clamav/clamav-milter.ctl"
      milter.applicable_conditions = ["S25R", "Remote Network", "No Stress"]
    end
    restrict_accounts_by_list("alice@example.com", :condition_name => "Restricted")
    restrict_accounts_generic(:condition_name => "Generic") do |context, recipient|
      /@example\\.com>\\z/ =~ recipient
    end
  CONF

  def test_documented_words_load
    configuration = load_bundled(DOCUMENTED)
    assert_equal(["S25R", "Remote Network", "No Stress", "Restricted", "Generic"],
                 configuration.find_milter("clamav-milter").applicable_conditions)
    reported = @log_lines.map(&:last).grep(/\A\[configuration\]\[not-supported\] (s25r|remote_network|stress|trust|restrict)/)
    assert_equal([], reported)
  end

  def test_show_config_of_the_bundled_tree
    text = Milter::Manager::ConfigurationDumper.new(load_bundled(DOCUMENTED)).dump
    STAGES.each_key do |name|
      assert_include(text, "define_applicable_condition(#{name.inspect}) do |condition|")
    end
    # added by restrict_accounts_* at their lines
    assert_match(/local\.conf:15\n    "Restricted",\n    # \S+local\.conf:16\n    "Generic",\n  \]/, text)
  end

  def test_show_config_through_the_c_embedding
    dump = ENV["MILTER_MANAGER_CONFIG_DUMP"]
    omit("MILTER_MANAGER_CONFIG_DUMP not set (run through make check)") unless dump && File.executable?(dump)
    FileUtils.cp_r(Dir.glob(File.join(bundled_conf, "*")), @work_dir)
    write("milter-manager.local.conf", DOCUMENTED)
    output, errors, status = Open3.capture3(dump, "--config-dir", @work_dir)
    assert_equal(["", true], [errors.lines.grep_v(/not-supported|not supported/).join, status.success?])
    assert_include(output, "define_applicable_condition(\"Restricted\") do |condition|")
    assert_include(output, "# #{File.join(@work_dir, "applicable-conditions", "s25r.conf")}:8")
  end
end
