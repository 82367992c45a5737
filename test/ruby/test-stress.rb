# Stress Notify / No Stress (spec applicable-conditions.md §5.5): the
# smtpd process limit from master.cf fixtures, the threshold detected
# through a postconf of our own, and the bundled stress.conf's stoppers.
require "helper"
require "fake-condition-context"

class TestStress < Test::Unit::TestCase
  include ConfigurationTestHelper
  include ConditionTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  MasterCf = Milter::Manager::PostfixMasterCf
  Stress = Milter::Manager::Stress
  CONNECT_MACROS = { "v" => "Postfix 3.7.11", "j" => "mx.example.com" }

  def master_cf(name)
    fixture_path("master-cf", "#{name}.cf")
  end

  # fixture, default_process_limit, expected limit
  LIMITS = {
    "smtp inet with maxproc -" => ["debian", "100", 100],
    "default_process_limit changed" => ["debian", "40", 40],
    "explicit maxproc, -o lines, submission ignored" => ["maxproc", "100", 40],
    "postscreen: its smtpd pass" => ["postscreen", "100", 20],
    "ADDRESS:25" => ["address", "100", 10],
    "0: no limit" => ["unlimited", "100", 0],
    "no smtpd on the smtp port" => ["no-smtpd", "100", nil],
    "unparsable maxproc" => ["broken", "100", nil],
  }

  data(LIMITS)
  def test_smtpd_process_limit((name, default_limit, expected))
    assert_equal(expected, MasterCf.smtpd_process_limit(File.read(master_cf(name)), default_limit))
  end

  def test_services_join_continuation_lines
    assert_equal([["smtp", "inet", "40", "smtpd"], ["submission", "inet", "200", "smtpd"]],
                 MasterCf.services(File.read(master_cf("maxproc"))))
  end

  # sessions, threshold, stressed?
  def test_stressed_rule
    [[0, 0, false], [100, 0, false], [74, 75, false], [75, 75, true], [76, 75, true],
     [1, 1, true]].each do |sessions, threshold, expected|
      assert_equal(expected, Stress.stressed?(sessions, threshold), [sessions, threshold].inspect)
    end
    assert_equal([75, 30, 15, 0, 0], [100, 40, 20, 1, 0].map { |limit| Stress.threshold_for_process_limit(limit) })
  end

  # A postconf that answers `postconf -h default_process_limit
  # config_directory` and counts its calls.
  def fake_postconf(default_limit, config_directory, status: 0)
    script = write("bin/postconf", <<~SH)
      #!/bin/sh
      echo call >> "#{@work_dir}/postconf.calls"
      [ "$1 $2 $3" = "-h default_process_limit config_directory" ] || exit 2
      echo #{default_limit}
      echo #{config_directory}
      exit #{status}
    SH
    File.chmod(0755, script)
    script
  end

  def postconf_calls
    path = File.join(@work_dir, "postconf.calls")
    File.exist?(path) ? File.readlines(path).size : 0
  end

  def postfix_context(sessions)
    FakeConditionContext.new(n_processing_sessions: sessions).enter(:connect, CONNECT_MACROS)
  end

  def test_detected_from_config_directory
    write("postfix/master.cf", File.read(master_cf("debian")))
    configuration = load_bundled(<<~CONF)
      stress.postconf_command = #{fake_postconf(100, File.join(@work_dir, "postfix")).inspect}
    CONF
    answers = [74, 75, 200].map do |sessions|
      context = postfix_context(sessions)
      [stop?(configuration, "No Stress", :connect, context, "host", nil),
       stop?(configuration, "Stress Notify", :connect, context, "host", nil),
       context["stress"]]
    end
    assert_equal([[false, false, nil], [true, false, "yes"], [true, false, "yes"]], answers)
    assert_equal(1, postconf_calls, "detected once")
    assert_include(@log_lines, [:info, "[breaker][detect][threshold][postfix] 75"])
  end

  def test_master_cf_path_setting
    configuration = load_bundled(<<~CONF)
      stress.postconf_command = #{fake_postconf(100, "/nonexistent").inspect}
      stress.postfix_master_cf = #{master_cf("postscreen").inspect}
    CONF
    assert_equal([false, true],
                 [14, 15].map { |n| stop?(configuration, "No Stress", :connect, postfix_context(n), "host", nil) })
  end

  def test_set_threshold_is_used_without_detection
    configuration = load_bundled(<<~CONF)
      stress.postconf_command = #{fake_postconf(100, "/nonexistent").inspect}
      stress.threshold_n_connections = 3
    CONF
    context = FakeConditionContext.new(n_processing_sessions: 3) # not Postfix
    assert_equal([true, 0], [stop?(configuration, "No Stress", :connect, context, "host", nil),
                             postconf_calls])
  end

  def test_zero_means_never
    configuration = load_bundled("stress.threshold_n_connections = 0\n")
    assert_false(stop?(configuration, "No Stress", :connect, postfix_context(10_000), "host", nil))
  end

  def test_other_mta_is_never_stressed_by_detection
    configuration = load_bundled(<<~CONF)
      stress.postconf_command = #{fake_postconf(100, "/nonexistent").inspect}
    CONF
    context = FakeConditionContext.new(n_processing_sessions: 10_000).enter(:connect, "v" => "8.17.1")
    assert_equal([false, 0], [stop?(configuration, "No Stress", :connect, context, "host", nil),
                              postconf_calls])
  end

  def test_detection_failure_logs_and_gives_zero
    configuration = load_bundled(<<~CONF)
      stress.postconf_command = #{fake_postconf(100, File.join(@work_dir, "missing")).inspect}
    CONF
    assert_false(stop?(configuration, "No Stress", :connect, postfix_context(10_000), "host", nil))
    assert_false(stop?(configuration, "No Stress", :connect, postfix_context(10_000), "host", nil))
    errors = @log_lines.select { |level, message| level == :error && message.start_with?("[breaker][detect][error][threshold] can't detect MTA") }
    assert_equal([1, 1], [errors.size, postconf_calls])
  end

  def test_missing_postconf
    configuration = load_bundled("stress.postconf_command = #{File.join(@work_dir, "none").inspect}\n")
    assert_false(stop?(configuration, "No Stress", :connect, postfix_context(10_000), "host", nil))
    assert_equal(1, @log_lines.count { |level, _| level == :error })
  end

  def test_threshold_reader
    stress = Stress.new
    stress.postconf_command = fake_postconf(40, "/nonexistent")
    stress.postfix_master_cf = master_cf("debian")
    assert_equal(30, stress.threshold_n_connections)
    stress.threshold_n_connections = 7
    assert_equal(7, stress.threshold_n_connections)
  end

  def test_bad_threshold_fails_the_load
    error = load_error("stress.threshold_n_connections = -1\n")
    assert_match(/stress\.threshold_n_connections should be an Integer >= 0 but was -1/, error.message)
  end
end
