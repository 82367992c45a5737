# Detection cases, each on a small root written by the test: disabled
# and masked services, missing files, the priorities between init
# systems and between sources of the spec, and the original's known
# problems (spec detection.md §9: #128, #154, #205).
require "helper"
require "detection-helper"

class TestDetectionCases < Test::Unit::TestCase
  include ConfigurationTestHelper
  include DetectionTestHelper
  M = Milter::Manager

  setup :setup_work_dir
  setup :setup_detection_root
  teardown :teardown_detection_root
  teardown :teardown_work_dir

  def setup_root(files)
    root = File.join(@work_dir, "root")
    FileUtils.mkdir_p(root)
    files.each do |path, content|
      if content == :executable
        File.chmod(0755, write(path, "#!/bin/sh\nexit 0\n", dir: root))
      else
        write(path, content, dir: root)
      end
    end
    M::Detector.root = root
  end

  def detect(detector_class, name, configuration = nil)
    detector_class.new(configuration, name).detect
  end

  def summary(detector)
    detector.detections.map do |detection|
      [detection.milter_name, detection.enabled?, detection.connection_spec,
       [detection.command, detection.command_options].compact.join(" ")]
    end
  end

  WANTS = "/etc/systemd/system/multi-user.target.wants"
  GREYLIST_UNIT = <<~UNIT
    [Unit]
    Description=milter-greylist
    [Service]
    EnvironmentFile=-/etc/default/milter-greylist
    ExecStart=/usr/sbin/milter-greylist -p $SOCKET -f /etc/milter-greylist/greylist.conf
    [Install]
    WantedBy=multi-user.target
  UNIT

  # Issue #205: SOCKET in /etc/default reaches the daemon through -p
  # $SOCKET; greylist.conf's socket is not the one in use.
  def test_systemd_socket_from_environment_file
    setup_root("/lib/systemd/system/milter-greylist.service" => GREYLIST_UNIT,
               "/etc/default/milter-greylist" => "SOCKET=/run/milter-greylist/real.sock\n",
               "/etc/milter-greylist/greylist.conf" => "socket \"/run/stale.sock\"\n",
               "#{WANTS}/milter-greylist.service" => "",
               "/usr/bin/systemctl" => :executable)
    assert_equal([["milter-greylist", true, "unix:/run/milter-greylist/real.sock",
                   "/usr/bin/systemctl start milter-greylist"]],
                 summary(detect(M::DebianDetector, "milter-greylist")))
  end

  def test_systemd_socket_from_drop_in_environment
    setup_root("/lib/systemd/system/milter-greylist.service" => GREYLIST_UNIT,
               "/etc/systemd/system/milter-greylist.service.d/socket.conf" =>
                 "[Service]\nEnvironment=SOCKET=inet:3333@localhost\n",
               "/etc/milter-greylist/greylist.conf" => "socket \"/run/stale.sock\"\n",
               "#{WANTS}/milter-greylist.service" => "")
    assert_equal("inet:3333@localhost", detect(M::DebianDetector, "milter-greylist").connection_spec)
  end

  def test_systemd_greylist_conf_without_socket_option
    setup_root("/lib/systemd/system/milter-greylist.service" =>
                 "[Service]\nExecStart=/usr/sbin/milter-greylist -f /etc/g.conf\n",
               "/etc/g.conf" => "socket \"/run/from-conf.sock\" 660\nracl greylist default tarpit 10s\n",
               "#{WANTS}/milter-greylist.service" => "")
    detector = detect(M::DebianDetector, "milter-greylist")
    assert_equal(["unix:/run/from-conf.sock", 10.0],
                 [detector.connection_spec, detector.detections.first.max_tarpit])
  end

  data(
    "not enabled" => [{}, false],
    "enabled" => [{ "#{WANTS}/m.service" => "" }, true],
    "enabled for another target" => [{ "/etc/systemd/system/mail.target.wants/m.service" => "" }, true],
    "masked" => [{ "#{WANTS}/m.service" => "", "/etc/systemd/system/m.service" => "" }, false],
  )
  def test_systemd_enabled((files, enabled))
    setup_root({ "/lib/systemd/system/m.service" =>
                   "[Service]\nEnvironment=SOCKET=/run/m.sock\n[Install]\nWantedBy=mail.target\n" }.merge(files))
    detector = detect(M::DebianDetector, "m")
    assert_equal([true, enabled], [detector.detected?, detector.enabled?])
  end

  def test_systemd_unit_in_etc_replaces_the_vendor_unit
    setup_root("/lib/systemd/system/m.service" => "[Service]\nEnvironment=SOCKET=/run/vendor.sock\n",
               "/etc/systemd/system/m.service" => "[Service]\nEnvironment=SOCKET=/run/local.sock\n",
               "#{WANTS}/m.service" => "")
    assert_equal("unix:/run/local.sock", detect(M::DebianDetector, "m").connection_spec)
  end

  def test_systemd_drop_in_in_etc_hides_the_vendor_one
    setup_root("/lib/systemd/system/m.service" => "[Service]\nExecStart=/m -p /run/unit.sock\n",
               "/lib/systemd/system/m.service.d/a.conf" => "[Service]\nExecStart=\nExecStart=/m -p /run/vendor-a.sock\n",
               "/etc/systemd/system/m.service.d/a.conf" => "[Service]\n",
               "#{WANTS}/m.service" => "")
    assert_equal("unix:/run/unit.sock", detect(M::DebianDetector, "m").connection_spec)
  end

  data(
    "systemctl" => [{ "/usr/bin/systemctl" => :executable }, "/usr/bin/systemctl start m"],
    "service only" => [{ "/usr/sbin/service" => :executable }, "/usr/sbin/service m start"],
    "neither" => [{}, "/usr/bin/systemctl start m"],
  )
  def test_systemd_start_command((files, command))
    setup_root({ "/lib/systemd/system/m.service" => "[Service]\nEnvironment=SOCKET=/run/m.sock\n" }.merge(files))
    assert_equal(command, summary(detect(M::DebianDetector, "m")).first.last)
  end

  def test_clamav_milter_systemd_sample_config_disables
    setup_root("/lib/systemd/system/clamav-milter.service" =>
                 "[Service]\nExecStart=/usr/sbin/clamav-milter --config-file=/etc/c.conf\n",
               "/etc/c.conf" => "Example\nMilterSocket /run/c.sock\n", "#{WANTS}/clamav-milter.service" => "")
    detector = detect(M::DebianDetector, "clamav-milter")
    assert_equal([false, "unix:/run/c.sock"], [detector.enabled?, detector.connection_spec])
  end

  # The original did not define a milter whose unit is disabled; with an
  # init script too, the init script (enabled) wins.
  def test_debian_disabled_unit_and_init_script
    setup_root("/lib/systemd/system/m.service" => "[Service]\nEnvironment=SOCKET=/run/unit.sock\n",
               "/etc/init.d/m" => "#!/bin/sh\nSOCKET=/run/init.sock\n")
    assert_equal([["m", true, "unix:/run/init.sock", "/etc/init.d/m start"]], summary(detect(M::DebianDetector, "m")))
  end

  data(
    "SOCKET" => ["SOCKET=/run/a.sock\n", "", "unix:/run/a.sock"],
    "/etc/default overrides" => ["SOCKET=/run/a.sock\n", "SOCKET=inet:1@h\n", "inet:1@h"],
    "SOCKFILE" => ["SOCKFILE=/run/b.sock\n", nil, "unix:/run/b.sock"],
    "CONNECTION_SPEC" => ["CONNECTION_SPEC=inet:2@h\n", nil, "inet:2@h"],
    "-p in OPTARGS" => ["OPTARGS=\"-u m -p /run/c.sock\"\n", nil, "unix:/run/c.sock"],
    "-p in DAEMON_ARGS" => ["DAEMON_ARGS=\"-p inet:3@h\"\n", nil, "inet:3@h"],
    "-p in PARAMS" => ["PARAMS=\"-p inet:4@h\"\n", nil, "inet:4@h"],
    "priority" => ["PARAMS=\"-p inet:4@h\"\nSOCKFILE=/run/b.sock\n", nil, "unix:/run/b.sock"],
    "unresolved SOCKET skipped" => ["SOCKET=\"$SOCKET_DIR/a\"\nSOCKFILE=/run/b.sock\n", nil, "unix:/run/b.sock"],
    "nothing" => ["DESC=m\n", nil, nil],
  )
  def test_debian_init_spec((script, defaults, spec))
    files = { "/etc/init.d/m" => "#!/bin/sh\n#{script}" }
    files["/etc/default/m"] = defaults if defaults
    setup_root(files)
    detector = detect(M::DebianDetector, "m")
    assert_equal([spec, !spec.nil?], [detector.connection_spec, detector.enabled?])
  end

  def test_debian_init_script_with_latin1_comment
    setup_root("/etc/init.d/m" => "#!/bin/sh\n# Copyright (c) 2002 J\xFCrgen\nSOCKET=/run/m.sock\n".b)
    assert_equal("unix:/run/m.sock", detect(M::DebianDetector, "m").connection_spec)
  end

  def test_debian_init_opendkim_conf_first
    setup_root("/etc/init.d/opendkim" => "#!/bin/sh\nSOCKET=local:/run/init.sock\n",
               "/etc/opendkim.conf" => "Socket inet:8891@localhost\n")
    assert_equal("inet:8891@localhost", detect(M::DebianDetector, "opendkim").connection_spec)
  end

  def test_debian_init_old_clamav_milter_uses_socket
    setup_root("/etc/init.d/clamav-milter" => "#!/bin/sh\nSOCKET=/var/run/clamav/clamav-milter.ctl\n",
               "/etc/clamav/clamav-milter.conf" => "MilterSocket /run/new.sock\n")
    assert_equal("unix:/var/run/clamav/clamav-milter.ctl", detect(M::DebianDetector, "clamav-milter").connection_spec)
  end

  def test_debian_init_greylist_tarpit_from_options
    setup_root("/etc/init.d/milter-greylist" => "#!/bin/sh\nSOCKET=/run/g.sock\nOPTIONS=\"-f /etc/g2.conf\"\n",
               "/etc/g2.conf" => "racl greylist default tarpit 2h\n")
    assert_equal(7200.0, detect(M::DebianDetector, "milter-greylist").detections.first.max_tarpit)
  end

  def test_missing_config_files_are_not_errors
    setup_root("/etc/init.d/clamav-milter" => "#!/bin/sh\nCLAMAVCONF=/etc/clamav/clamav-milter.conf\n",
               "/etc/init.d/milter-greylist" => "#!/bin/sh\nSOCKET=/run/g.sock\n")
    assert_equal([[["clamav-milter", false, nil, "/etc/init.d/clamav-milter start"]],
                  [["milter-greylist", true, "unix:/run/g.sock", "/etc/init.d/milter-greylist start"]], []],
                 [summary(detect(M::DebianDetector, "clamav-milter")),
                  summary(detect(M::DebianDetector, "milter-greylist")),
                  @log_lines.reject { |level, _| level == :info }])
  end

  data(
    "S link" => ["/etc/rc.d/rc3.d/S80m", true],
    "S link in /etc/rcN.d" => ["/etc/rc5.d/S80m", true],
    "only a K link" => ["/etc/rc.d/rc3.d/K20m", false],
    "no link" => [nil, false],
  )
  def test_redhat_init_links((link, enabled))
    files = { "/etc/init.d/m" => "#!/bin/sh\n# description: m\nsocket=/run/m.sock\nSOCKET=$socket\n" }
    files[link] = "" if link
    setup_root(files)
    assert_equal(enabled, detect(M::RedHatDetector, "m").enabled?)
  end

  data(
    "0.95 and later: --config-file" => ["CLAMAV_FLAGS=\"--config-file=/etc/c.conf\"\n", "unix:/run/conf.sock"],
    "0.95 and later: -c" => ["CLAMAV_FLAGS=\"-c /etc/c.conf\"\n", "unix:/run/conf.sock"],
    "older: SOCKET_ADDRESS" => ["SOCKET_ADDRESS=\"local:/run/old.sock\"\n", "local:/run/old.sock"],
  )
  def test_redhat_init_clamav_milter((sysconfig, spec))
    setup_root("/etc/init.d/clamav-milter" => "#!/bin/sh\n", "/etc/sysconfig/clamav-milter" => sysconfig,
               "/etc/c.conf" => "MilterSocket /run/conf.sock\n", "/etc/rc3.d/S79clamav-milter" => "")
    assert_equal(spec, detect(M::RedHatDetector, "clamav-milter").connection_spec)
  end

  def test_redhat_upstart_over_init_and_without_start_on
    setup_root("/etc/event.d/m" => "# m\nstart on runlevel 3\nexec /usr/sbin/m -p /run/upstart.sock\n",
               "/etc/init.d/m" => "#!/bin/sh\nSOCKET=/run/init.sock\n", "/etc/rc3.d/S10m" => "",
               "/etc/event.d/n" => "# n\nexec /usr/sbin/n -p /run/n.sock\n")
    assert_equal([["m", true, "unix:/run/upstart.sock", "/sbin/start m"]],
                 summary(detect(M::RedHatDetector, "m")))
    assert_equal([["n", false, "unix:/run/n.sock", "/sbin/start n"]], summary(detect(M::RedHatDetector, "n")))
  end

  OPENDKIM_RC = <<~SCRIPT
    #!/bin/sh
    name="milteropendkim"
    rcvar=milteropendkim_enable
    load_rc_config $name
    : ${milteropendkim_enable:="NO"}
    : ${milteropendkim_cfgfile:="/usr/local/etc/mail/opendkim.conf"}
    : ${milteropendkim_socket:="inet:port@localhost"}
  SCRIPT

  # Issue #154: the script's placeholder socket is not a spec.
  data(
    "placeholder only" => ["milteropendkim_enable=YES\n", nil],
    "socket in rc.conf" => ["milteropendkim_enable=YES\nmilteropendkim_socket=inet:8891@localhost\n",
                            "inet:8891@localhost"],
  )
  def test_freebsd_opendkim_placeholder((rc_conf, spec))
    setup_root("/usr/local/etc/rc.d/milter-opendkim" => OPENDKIM_RC, "/etc/rc.conf" => rc_conf,
               "/usr/local/etc/mail/opendkim.conf" => "Syslog yes\n")
    detector = detect(M::FreeBSDRCDetector, "milter-opendkim")
    assert_equal([["milter-opendkim", !spec.nil?, spec, "/usr/local/etc/rc.d/milter-opendkim start"]],
                 summary(detector))
  end

  def test_freebsd_profile_enable_defaults_to_the_base_one
    setup_root("/usr/local/etc/rc.d/milter-opendkim" => OPENDKIM_RC,
               "/etc/rc.conf" => "milteropendkim_enable=YES\nmilteropendkim_profiles=\"one\"\n" \
                                 "milteropendkim_socket=inet:1@localhost\n")
    assert_equal([["milter-opendkim-one", true, "inet:1@localhost", "/usr/local/etc/rc.d/milter-opendkim start one"]],
                 summary(detect(M::FreeBSDRCDetector, "milter-opendkim")))
  end

  # The shape of the port's current script: the settings are rewritten
  # into options after load_rc_config (cfgfile becomes "-x PATH", or ""
  # when the file is missing), the profiles branch is not taken on
  # "start" without a profile.
  OPENDKIM_PORT_RC = <<~'SCRIPT'
    #!/bin/sh
    . /etc/rc.subr
    name="milteropendkim"
    rcvar=milteropendkim_enable
    load_rc_config $name
    : ${milteropendkim_enable:="NO"}
    : ${milteropendkim_uid:="mailnull"}
    : ${milteropendkim_cfgfile:="/usr/local/etc/mail/opendkim.conf"}
    if [ -n "$2" ]; then
        profile="$2"
        if [ -n "${milteropendkim_profiles}" ]; then
            eval milteropendkim_socket="\${milteropendkim_${profile}_socket:-}"
            milteropendkim_cfgfile="-x ${milteropendkim_cfgfile}"
        fi
    else
        if [ -f "${milteropendkim_cfgfile}" ];then
            milteropendkim_cfgfile="-x ${milteropendkim_cfgfile}"
        else
            milteropendkim_cfgfile=""
        fi
        if [ -n "${milteropendkim_socket}" ];then
            _socket_prefix="-p"
        fi
        command_args="-l ${_socket_prefix} ${milteropendkim_socket} -u ${milteropendkim_uid} ${milteropendkim_cfgfile}"
    fi
    run_rc_command "$1"
  SCRIPT

  data(
    "Socket in the default cfgfile" => [{ "/usr/local/etc/mail/opendkim.conf" => "Socket inet:8891@localhost\n" },
                                        "", "inet:8891@localhost"],
    "no cfgfile: the rc.conf socket" => [{}, "milteropendkim_socket=local:/var/run/dkim/s\n",
                                         "local:/var/run/dkim/s"],
  )
  def test_freebsd_opendkim_port_script((files, rc_conf, spec))
    setup_root(files.merge("/usr/local/etc/rc.d/milter-opendkim" => OPENDKIM_PORT_RC,
                           "/etc/rc.conf" => "milteropendkim_enable=YES\n#{rc_conf}"))
    assert_equal([["milter-opendkim", true, spec, "/usr/local/etc/rc.d/milter-opendkim start"]],
                 summary(detect(M::FreeBSDRCDetector, "milter-opendkim")))
  end

  # Issue #154, second half: R_debug=YES makes the script pass --verbose
  # instead of --daemon (the milter stays in the foreground). That is
  # the script's own doing when the launcher runs it: the detected start
  # command stays "RC_D/NAME start", the spec and the enabled state do
  # not change, and -p is read from the command_args of the branch sh
  # takes.
  data(
    "debug YES" => ["m_debug=YES\n", "unix:/var/run/m-debug.sock"],
    "debug yes, any case" => ["m_debug=\"yes\"\n", "unix:/var/run/m-debug.sock"],
    "debug NO" => ["m_debug=NO\n", "unix:/var/run/m.sock"],
    "debug unset" => ["", "unix:/var/run/m.sock"],
  )
  def test_freebsd_debug_keeps_the_start_command((rc_conf, spec))
    setup_root("/usr/local/etc/rc.d/m" => DEBUG_RC_SCRIPT, "/etc/rc.conf" => "m_enable=YES\n#{rc_conf}")
    assert_equal([["m", true, spec, "/usr/local/etc/rc.d/m start"]],
                 summary(detect(M::FreeBSDRCDetector, "m")))
  end

  data(
    "set_rcvar" => ["rcvar=`set_rcvar`\n", "m_enable=YES\n", true],
    "named rcvar" => ["rcvar=m_on\n", "m_on=yes\n", true],
    "default NO" => ["", "", false],
    "rc.conf.d" => ["", nil, true],
  )
  def test_freebsd_rc_variable((rcvar, rc_conf, enabled))
    files = { "/usr/local/etc/rc.d/m" => "#!/bin/sh\nname=m\n#{rcvar}load_rc_config $name\n: ${m_socket=/run/m.sock}\n" }
    if rc_conf
      files["/etc/rc.conf"] = rc_conf
    else
      files["/usr/local/etc/rc.conf.d/m"] = "m_enable=\"YES\"\n"
    end
    setup_root(files)
    assert_equal(enabled, detect(M::FreeBSDRCDetector, "m").enabled?)
  end

  def test_freebsd_clamav_milter_sample_config
    setup_root("/usr/local/etc/rc.d/clamav-milter" => "#!/bin/sh\nname=clamav_milter\n",
               "/etc/rc.conf" => "clamav_milter_enable=YES\n",
               "/usr/local/etc/clamav-milter.conf" => "Example\nMilterSocket /run/c.sock\n")
    detector = detect(M::FreeBSDRCDetector, "clamav-milter")
    assert_equal([false, "unix:/run/c.sock"], [detector.enabled?, detector.connection_spec])
  end

  def test_rc_script_without_name_is_not_detected
    setup_root("/usr/local/etc/rc.d/m" => "#!/bin/sh\nm_socket=/run/m.sock\n")
    assert_false(detect(M::FreeBSDRCDetector, "m").detected?)
  end

  def test_pkgsrc_options
    setup_root("/etc/rc.d/milter-greylist" => "#!/bin/sh\nname=miltergreylist\nrcvar=$name\n" \
                                              "command_args=\"-f conf/g.conf -p /run/g.sock\"\n",
               "/opt/etc/conf/g.conf" => "racl greylist default tarpit 1m\n",
               "/etc/rc.conf" => "miltergreylist=YES\n")
    configuration = load_text("package.options = \"prefix=/opt/etc,rcddir=/etc/rc.d\"\n")
    detector = detect(M::PkgsrcRCDetector, "milter-greylist", configuration)
    assert_equal([["milter-greylist", true, "unix:/run/g.sock", "/etc/rc.d/milter-greylist start"], 60.0],
                 [summary(detector).first, detector.detections.first.max_tarpit])
  end

  # The spamass-milter package's shape: rc.conf is loaded inside an if
  # on /etc/rc.subr, which a BSD system has.
  data(
    "rc.subr present" => [{ "/etc/rc.subr" => "# rc.subr\n" }, true],
    "no rc.subr: the script's else branch" => [{}, false],
  )
  def test_pkgsrc_load_rc_config_inside_an_if((files, enabled))
    setup_root(files.merge("/usr/pkg/etc/rc.d/spamass-milter" => <<~'SCRIPT', "/etc/rc.conf" => "spamass_milter=YES\n"))
      #!/bin/sh
      name="spamass_milter"
      rcvar=${name}
      command_args="-u nobody -p /var/run/spamass.sock -f"
      if [ -f /etc/rc.subr ]; then
      	load_rc_config $name
      	command_args="${command_args} ${spamass_milter_flags}"
      else
      	echo -n " ${name}"
      fi
    SCRIPT
    configuration = load_text("")
    assert_equal([["spamass-milter", enabled, "unix:/var/run/spamass.sock", "/usr/pkg/etc/rc.d/spamass-milter start"]],
                 summary(detect(M::PkgsrcRCDetector, "spamass-milter", configuration)))
  end

  # A failing detector is logged and detects nothing; the candidates
  # after it are still detected and the load goes on.
  def test_a_failing_detector_does_not_stop_the_others
    setup_root("/etc/init.d/a" => "#!/bin/sh\nSOCKET=/run/a.sock\n", "/etc/init.d/b" => "#!/bin/sh\nSOCKET=/run/b.sock\n")
    write("milter-manager.conf", <<~CONF)
      detector = DebianDetector.new(configuration, "a") { |_detector, _spec| raise "broken" }
      detector.detect
      detector.apply(self)
      detector = DebianDetector.new(configuration, "b")
      detector.detect
      detector.apply(self)
    CONF
    configuration = load_configuration
    assert_equal([["b"], [[:warning, "[detector][debian][error] a: broken (RuntimeError); not detected"]]],
                 [configuration.milter_names, @log_lines.select { |level, _| level == :warning }])
  end

  def test_rspamadm_that_hangs_is_killed
    setup_root("/usr/bin/rspamadm" => "#!/bin/sh\nexec sleep 30\n")
    File.chmod(0755, File.join(M::Detector.root, "usr/bin/rspamadm"))
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    assert_nil(M::RspamdProxy.configdump(File.join(M::Detector.root, "usr/bin/rspamadm"), timeout: 0.3))
    assert_operator(Process.clock_gettime(Process::CLOCK_MONOTONIC) - started, :<, 5)
  end

  def test_logs_what_was_detected_and_why_disabled
    setup_root("/etc/init.d/m" => "#!/bin/sh\nSOCKET=/run/m.sock\n", "/etc/default/m" => "ENABLED=0\n")
    detect(M::DebianDetector, "m")
    assert_equal([[:info, "[detector][debian][detected] m from init script /etc/init.d/m: disabled " \
                          "(ENABLED is 0 in /etc/default/m), spec \"unix:/run/m.sock\", " \
                          "command \"/etc/init.d/m start\""]],
                 @log_lines)
  end
end
