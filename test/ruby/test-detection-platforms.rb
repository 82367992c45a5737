# Detection on one fixture root per platform (test/ruby/fixtures/
# detection/PLATFORM): every candidate of defaults/PLATFORM.conf, what
# is defined for it (or that nothing is), through the detectors and
# through the bundled milter-manager.conf, its --show-config text and
# the C embedding (MILTER_MANAGER_DETECTION_ROOT).
require "helper"
require "detection-helper"
require "open3"

class TestDetectionPlatforms < Test::Unit::TestCase
  include ConfigurationTestHelper
  include DetectionTestHelper

  setup :setup_work_dir
  setup :setup_detection_root
  teardown :teardown_detection_root
  teardown :teardown_work_dir

  GREYLIST = ["Sendmail Compatible", "Stress Notify", "Trust", "Remote Network", "S25R", "Unauthenticated"]
  FILTER = ["Remote Network", "Unauthenticated", "No Stress"]

  def self.milter(enabled, spec, command, options, description, conditions = [], timeout = 7.0)
    { "enabled" => enabled, "connection_spec" => spec, "command" => command,
      "command_options" => options, "description" => description,
      "writing_timeout" => timeout, "reading_timeout" => timeout,
      "applicable_conditions" => conditions }
  end

  SYSTEMCTL = "/usr/bin/systemctl"
  EXPECTED = {
    "debian" => {
      # the drop-in's ExecStart -p wins over greylist.conf (issue #205);
      # the longest tarpit (3m, on a continued line) is added
      "milter-greylist" => milter(true, "inet:11125@[127.0.0.1]", SYSTEMCTL, "start milter-greylist",
                                  "Greylisting milter", GREYLIST, 187.0),
      "spfmilter" => milter(false, "unix:/var/run/spfmilter/spfmilter.sock", "/etc/init.d/spfmilter",
                            "start", "Sendmail milter checking the SPF records of senders.", FILTER),
      "clamav-milter" => milter(false, "unix:/var/run/clamav/clamav-milter.ctl", "/etc/init.d/clamav-milter",
                                "start", "Clam AntiVirus milter interface"),
      # only a unit that is not enabled: defined, disabled
      "dkim-filter" => milter(false, "inet:8891@localhost", SYSTEMCTL, "start dkim-filter", "DKIM filter"),
      "opendkim" => milter(true, "local:/run/opendkim/opendkim.sock", SYSTEMCTL, "start opendkim",
                           "OpenDKIM Milter"),
      "spamass-milter" => milter(true, "unix:/var/spool/postfix/spamass/spamass.sock",
                                 "/etc/init.d/spamass-milter", "start",
                                 "Calls spamassassin to allow filtering out spam from ham in " \
                                 "libmilter compatible MTAs.", FILTER),
      "amavisd-new-milter" => nil,
      # no milter proxy worker: no spec, disabled, and no exception (issue #128)
      "rspamd" => milter(false, nil, SYSTEMCTL, "start rspamd", "rapid spam filtering system", FILTER),
    },
    "redhat" => {
      "milter-greylist" => milter(true, "unix:/var/lib/milter-greylist/milter-greylist.sock",
                                  "/etc/init.d/milter-greylist", "start",
                                  "milter-greylist is a stand-alone milter written in C that " \
                                  "implements greylist filtering.", GREYLIST, 67.0),
      "clamav-milter" => milter(true, "inet:7357@localhost", "/sbin/start", "clamav-milter",
                                "clamav-milter - fixture: an upstart job Clam AntiVirus milter."),
      # only a K link: off in every runlevel
      "enma" => milter(false, "inet:10025@127.0.0.1", "/etc/init.d/enma", "start",
                       "ENMA, a sender authentication milter (fixture)", FILTER),
      "spamass-milter" => milter(true, "unix:/run/spamass-milter/postfix/sock", SYSTEMCTL,
                                 "start spamass-milter", "Mail filter for SpamAssassin", FILTER),
      "amavisd" => nil,
      "opendkim" => milter(true, "inet:8891@localhost", SYSTEMCTL, "start opendkim",
                           "DomainKeys Identified Mail (DKIM) Milter"),
      "rspamd" => milter(true, "inet:11332@localhost", SYSTEMCTL, "start rspamd",
                         "rapid spam filtering system", FILTER),
    },
    "freebsd" => {
      "milter-greylist" => milter(true, "unix:/var/milter-greylist/from-rc-conf.sock",
                                  "/usr/local/etc/rc.d/milter-greylist", "start", nil, GREYLIST, 3607.0),
      "milter-enma" => milter(false, "inet:10026@127.0.0.1", "/usr/local/etc/rc.d/milter-enma", "start",
                              nil, FILTER),
      "milter-sid" => nil,
      "clamav-milter" => milter(true, "unix:/var/run/clamav/clmilter-from-conf.sock",
                                "/usr/local/etc/rc.d/clamav-milter", "start", nil),
      "milter-dkim" => nil,
      "milter-opendkim" => nil,
      # profiles: the profile's own opendkim.conf, its own socket variable
      "milter-opendkim-alpha" => milter(true, "inet:8891@localhost", "/usr/local/etc/rc.d/milter-opendkim",
                                        "start alpha", nil),
      "milter-opendkim-beta" => milter(false, "inet:8892@localhost", "/usr/local/etc/rc.d/milter-opendkim",
                                       "start beta", nil),
      "spamass-milter" => milter(true, "unix:/var/run/spamass-milter.sock",
                                 "/usr/local/etc/rc.d/spamass-milter", "start", nil, FILTER),
      "amavis-milter" => nil,
      "rspamd" => nil,
    },
    "pkgsrc" => {
      "milter-greylist" => milter(true, "unix:/var/run/milter-greylist.sock",
                                  "/usr/pkg/etc/rc.d/milter-greylist", "start", nil, GREYLIST, 37.0),
      "mimedefang" => nil,
      "enma" => milter(false, "unix:/var/run/enma/enma.sock", "/usr/pkg/etc/rc.d/enma", "start", nil, FILTER),
      "dk-milter" => nil,
      "dkim-filter" => nil,
      "spamass-milter" => nil,
      "amavismilter" => nil,
      "milter-regex" => milter(true, "unix:/var/run/milter-regex.sock", "/usr/pkg/etc/rc.d/milter-regex",
                               "start", nil, FILTER),
    },
  }

  DETECTORS = { "debian" => "DebianDetector", "redhat" => "RedHatDetector",
                "freebsd" => "FreeBSDRCDetector", "pkgsrc" => "PkgsrcRCDetector" }

  data(EXPECTED.flat_map do |platform, milters|
    milters.map { |name, expected| ["#{platform} #{name}", [platform, name, expected]] }
  end.to_h)
  def test_bundled_configuration((platform, name, expected))
    Milter::Manager::Detector.root = detection_fixture(platform)
    configuration = load_bundled(platform)
    assert_equal(expected, milter_fields(configuration.find_milter(name)))
  end

  data(EXPECTED.keys.to_h { |platform| [platform, platform] })
  def test_order_and_nothing_else(platform)
    Milter::Manager::Detector.root = detection_fixture(platform)
    configuration = load_bundled(platform)
    assert_equal([EXPECTED[platform].reject { |_name, milter| milter.nil? }.keys, true],
                 [configuration.milter_names, configuration.security.privilege_mode])
  end

  data("redhat7" => "redhat7", "redhat8" => "redhat8", "redhat9" => "redhat9")
  def test_redhat_releases(platform)
    Milter::Manager::Detector.root = detection_fixture("redhat")
    assert_equal(EXPECTED["redhat"].compact.keys, load_bundled(platform).milter_names)
  end

  data("unknown" => "unknown", "solaris" => "solaris", "redhat10" => "redhat10")
  def test_platform_without_defaults(platform)
    Milter::Manager::Detector.root = detection_fixture("debian")
    configuration = load_bundled(platform)
    assert_equal([[], false, []], [configuration.milter_names, configuration.security.privilege_mode,
                                   @log_lines.select { |level, _| level == :error }])
  end

  def test_local_conf_overrides
    Milter::Manager::Detector.root = detection_fixture("debian")
    write("milter-manager.local.conf", <<~CONF)
      define_milter("spfmilter") { |milter| milter.enabled = true }
      define_milter("opendkim") { |milter| milter.connection_spec = "inet:9999@localhost" }
    CONF
    configuration = load_bundled("debian")
    assert_equal([true, "inet:9999@localhost", "start opendkim"],
                 [configuration.find_milter("spfmilter").enabled,
                  configuration.find_milter("opendkim").connection_spec,
                  configuration.find_milter("opendkim").command_options])
  end

  def test_detector_api
    Milter::Manager::Detector.root = detection_fixture("debian")
    detector = Milter::Manager::DebianDetector.new(nil, "opendkim").detect
    assert_equal([true, "opendkim", true, "local:/run/opendkim/opendkim.sock", SYSTEMCTL, "start opendkim",
                  "OpenDKIM Milter"],
                 [detector.detected?, detector.name, detector.enabled?, detector.connection_spec,
                  detector.command, detector.command_options, detector.description])
  end

  def test_spec_block_of_the_platform_file
    Milter::Manager::Detector.root = detection_fixture("debian")
    guessed = []
    detector = Milter::Manager::DebianDetector.new(nil, "rspamd") do |found, spec|
      guessed << [found.script_name, spec]
      "inet:11332@localhost"
    end
    detector.detect
    assert_equal([[["rspamd", nil]], true, "inet:11332@localhost"],
                 [guessed, detector.enabled?, detector.connection_spec])
  end

  def test_not_installed
    Milter::Manager::Detector.root = detection_fixture("debian")
    detector = Milter::Manager::DebianDetector.new(nil, "amavisd-new-milter").detect
    assert_equal([false, nil, false], [detector.detected?, detector.name, detector.enabled?])
  end

  data(EXPECTED.keys.to_h { |platform| [platform, platform] })
  def test_show_config_lists_the_detected_milters(platform)
    Milter::Manager::Detector.root = detection_fixture(platform)
    dump = Milter::Manager::ConfigurationDumper.new(load_bundled(platform)).dump
    EXPECTED[platform].compact.each do |name, expected|
      block = dump[/^define_milter\(#{Regexp.escape(name.inspect)}\) do.*?^end$/m]
      assert_not_nil(block, name)
      assert_match(/^  milter\.enabled = #{expected["enabled"]}$/, block)
      assert_match(/^  milter\.connection_spec = #{Regexp.escape(expected["connection_spec"].inspect)}$/, block)
      assert_match(/^  milter\.command = #{Regexp.escape(expected["command"].inspect)}$/, block)
      assert_match(/^  milter\.command_options = #{Regexp.escape(expected["command_options"].inspect)}$/, block)
      location = expected["connection_spec"] ? "/defaults/#{platform}.conf:" : "default"
      assert_match(/^  # .*#{Regexp.escape(location)}.*\n  milter\.connection_spec/, block)
    end
  end

  # The same through the daemon's embedding, the root given by the
  # environment variable.
  def test_through_the_c_embedding
    dump = ENV["MILTER_MANAGER_CONFIG_DUMP"]
    omit("MILTER_MANAGER_CONFIG_DUMP not set (run through make check)") unless dump && File.executable?(dump)
    conf = File.join(ENV["top_srcdir"], "conf")
    write("milter-manager.conf",
          "package.platform = \"redhat\"\nload(#{File.join(conf, 'milter-manager.conf').inspect})\n")
    output, errors, status = Open3.capture3({ "MILTER_MANAGER_DETECTION_ROOT" => detection_fixture("redhat"),
                                              "MILTER_MANAGER_CONFIG_DIR" => conf },
                                            dump, "--config-dir", @work_dir)
    assert_equal([true, ""], [status.success?, errors.lines.grep_v(/not supported yet|\[detector\]/).join])
    assert_equal(EXPECTED["redhat"].compact.keys, output.scan(/^define_milter\("([^"]+)"\)/).flatten)
    assert_match(/^define_milter\("rspamd"\) do.*?milter\.connection_spec = "inet:11332@localhost"/m, output)
  end
end
