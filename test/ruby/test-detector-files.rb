# The readers of the files detection looks at (spec detection.md §5-§8):
# the milters' own configuration files, rspamd's configuration dump,
# init script metadata, systemd units and BSD rc.d scripts.
require "helper"
require "detection-helper"

class TestDetectorFiles < Test::Unit::TestCase
  M = Milter::Manager

  data(
    "socket" => ["MilterSocket /run/c.sock\n", "/run/c.sock", false],
    "inet, key case" => ["# c\nmiltersocket inet:7357\n", "inet:7357", false],
    "first of several" => ["MilterSocket /a\nMilterSocket /b\n", "/a", false],
    "sample" => ["Example\nMilterSocket /a\n", "/a", true],
    "commented Example" => ["#Example\n", nil, false],
  )
  def test_clamav_milter_config((text, socket, example))
    config = M::ClamAVMilterConfig.new(text)
    assert_equal([socket, example], [config.socket, config.example?])
  end

  def test_opendkim_config
    assert_equal("local:/run/opendkim/opendkim.sock",
                 M::OpenDKIMConfig.new("Syslog yes\n#Socket inet:1\nSocket\tlocal:/run/opendkim/opendkim.sock\n").socket)
  end

  data(
    "quoted with a mode" => ["socket \"/run/g.sock\" 666\n", "/run/g.sock", nil],
    "unquoted" => ["socket inet:3333@127.0.0.1\n", "inet:3333@127.0.0.1", nil],
    "commented" => ["#socket /x\n", nil, nil],
    "tarpit seconds" => ["racl greylist default tarpit 125s\n", nil, 125.0],
    "tarpit units, maximum" => ["racl greylist a tarpit 2m\nacl greylist b tarpit 1h\nracl greylist c tarpit 30\n", nil, 3600.0],
    "tarpit days and weeks" => ["racl greylist a tarpit 1d\nracl greylist b tarpit 1w\n", nil, 604_800.0],
    "continued line" => ["racl greylist from /x/ \\\n  tarpit 3m\n", nil, 180.0],
    "tarpit outside an acl" => ["tarpit 5m\n", nil, nil],
    "commented acl" => ["# racl greylist default tarpit 1h\n", nil, nil],
  )
  def test_milter_greylist_config((text, socket, tarpit))
    config = M::MilterGreylistConfig.new(text)
    assert_equal([socket, tarpit], [config.socket, config.max_tarpit])
  end

  def test_enma_config_last_wins
    assert_equal("inet:2@h", M::EnmaConfig.new("milter.socket: inet:1@h\n# milter.socket: /x\nmilter.socket: inet:2@h\n").socket)
  end

  data(
    "unix with options" => ["/run/rspamd/milter.sock mode=0666 owner=_rspamd", "unix:/run/rspamd/milter.sock"],
    "unix, comma" => ["/run/r.sock,mode=0660", "unix:/run/r.sock"],
    "any address" => ["*:11332", "inet:11332@localhost"],
    "host" => ["localhost:11332", "inet:11332@localhost"],
    "address" => ["127.0.0.1:11332", "inet:11332@127.0.0.1"],
    "IPv6 address" => ["[::1]:11332", "inet6:11332@[::1]"],
    "no port" => ["localhost", nil],
  )
  def test_rspamd_bind_socket((bind, spec))
    assert_equal(spec, M::RspamdProxy.bind_socket_spec(bind))
  end

  data(
    "milter proxy" => ['{"worker":[{"normal":{"bind_socket":"*:11333"}},{"rspamd_proxy":{"bind_socket":["localhost:11332","/x"],"milter":true}}]}', "inet:11332@localhost"],
    "one worker as an object" => ['{"worker":{"rspamd_proxy":{"bind_socket":"*:1","milter":"yes"}}}', "inet:1@localhost"],
    "proxy without milter (issue #128)" => ['{"worker":[{"rspamd_proxy":{"bind_socket":"*:1","milter":false}}]}', nil],
    "no worker" => ['{"options":{}}', nil],
    "not JSON" => ["garbage", nil],
    "not an object" => ["[1]", nil],
  )
  def test_rspamd_configdump((json, spec))
    assert_equal(spec, M::RspamdProxy.spec_from_configdump(json))
  end

  def test_rspamd_configdump_program
    Dir.mktmpdir do |dir|
      good = File.join(dir, "good")
      File.write(good, "#!/bin/sh\necho \"$1 $2\"\n")
      File.chmod(0755, good)
      failing = File.join(dir, "failing")
      File.write(failing, "#!/bin/sh\necho partial; exit 3\n")
      File.chmod(0755, failing)
      assert_equal(["configdump --json\n", nil, nil],
                   [M::RspamdProxy.configdump(good), M::RspamdProxy.configdump(failing),
                    M::RspamdProxy.configdump(File.join(dir, "missing"))])
    end
  end

  def test_init_script_lsb
    script = M::InitScript.new(<<~SCRIPT)
      #!/bin/sh
      ### BEGIN INIT INFO
      # Provides:          spamass-milter
      # Short-Description: milter for spamassassin
      # Description:       Calls spamassassin to allow filtering out
      #                    spam from ham.
      ### END INIT INFO
      # Description: not in the block
    SCRIPT
    assert_equal({ "Provides" => "spamass-milter", "Short-Description" => "milter for spamassassin",
                   "Description" => "Calls spamassassin to allow filtering out spam from ham." },
                 script.lsb)
  end

  def test_init_script_chkconfig_tags
    script = M::InitScript.new(<<~SCRIPT)
      #!/bin/sh
      #
      # chkconfig:	- 79 21
      # description:	milter-greylist is a stand-alone milter \\
      #		that implements greylisting.
      # config: /etc/mail/greylist.conf
      # pidfile: /var/run/g.pid
      prog=milter-greylist
      # description: after the code, not a tag
    SCRIPT
    assert_equal({ "chkconfig" => "- 79 21", "config" => "/etc/mail/greylist.conf",
                   "description" => "milter-greylist is a stand-alone milter that implements greylisting.",
                   "pidfile" => "/var/run/g.pid" },
                 script.tags)
  end

  def test_systemd_unit_and_drop_ins
    unit = M::SystemdUnit.new([<<~UNIT, <<~DROP_IN, "[Service]\nEnvironment=\nEnvironment=C=3\n"])
      # comment
      [Unit]
      Description=A milter
      [Service]
      Environment="A=1 2" B=x
      EnvironmentFile=-/etc/default/m
      ExecStart=/usr/sbin/m -p $SOCKET \\
        -f /etc/m.conf
      [Install]
      WantedBy=multi-user.target mail.target
    UNIT
      [Service]
      ExecStart=
      ExecStart=/usr/sbin/m -p inet:1@h
      EnvironmentFile=/etc/m.env
    DROP_IN
    assert_equal(["A milter", "/usr/sbin/m -p inet:1@h", { "C" => "3" },
                  [["/etc/default/m", true], ["/etc/m.env", false]],
                  ["multi-user.target", "mail.target"]],
                 [unit.description, unit.exec_start, unit.environment,
                  unit.environment_files, unit.wanted_by])
  end

  def test_systemd_unit_continued_exec_start
    unit = M::SystemdUnit.new(["[Service]\nExecStart=/m -p $S \\\n  -f /c\n"])
    assert_equal("/m -p $S -f /c", unit.exec_start)
  end

  RC_SCRIPT = <<~SCRIPT
    #!/bin/sh
    . /etc/rc.subr
    name="m"
    rcvar=m_enable
    m_before=script
    load_rc_config $name
    : ${m_enable:="NO"}
    : ${m_socket="/var/run/m.sock"}
    : ${m_flags:=""}
    command_args="-p ${m_socket} ${m_flags}"
  SCRIPT

  data(
    "script defaults" => [[], { "enable" => "NO", "socket" => "/var/run/m.sock", "before" => "script" },
                          "-p /var/run/m.sock "],
    "rc.conf overrides defaults and earlier lines" =>
      [["m_enable=YES\nm_socket=/a\nm_before=conf\n"], { "enable" => "YES", "socket" => "/a", "before" => "conf" },
       "-p /a "],
    "later rc.conf file wins" => [["m_socket=/a\n", nil, "m_socket=/b\n"], { "socket" => "/b" }, "-p /b "],
    "empty value and := " => [["m_enable=\n"], { "enable" => "NO" }, "-p /var/run/m.sock "],
  )
  def test_rc_script((rc_conf, values, command_args))
    script = M::RcScript.new(RC_SCRIPT, rc_conf)
    assert_equal(["m", values, command_args],
                 [script.rc_name, values.keys.to_h { |key| [key, script.rc_value(key)] },
                  script["command_args"]])
  end

  def test_rc_script_without_load_rc_config
    script = M::RcScript.new("name=m\nm_socket=/script\n: ${m_enable=NO}\n", ["m_enable=YES\nm_socket=/conf\n"])
    assert_equal(["YES", "/script"], [script.rc_value("enable"), script.rc_value("socket")])
  end

  # The branch sh takes when the launcher runs "RC_D/m start" (issue
  # #154: m_debug=YES gives --verbose instead of --daemon); a condition
  # that cannot be decided (getent, a function's $1) runs every branch.
  # A rewrite after load_rc_config (cfgfile="-x ...") is the shell's,
  # not the rc variable's.
  data(
    "debug YES" => [["m_debug=YES\n"], true, "-P /var/run/m.pid -p unix:/var/run/m-debug.sock --verbose", "debug"],
    "debug NO" => [["m_debug=NO\n"], true, "-P /var/run/m.pid -p unix:/var/run/m.sock --daemon", "plain"],
    "debug unset, no file" => [[], false, "-P /var/run/m.pid -p unix:/var/run/m.sock --daemon", "plain"],
  )
  def test_rc_script_branches((rc_conf, cfgfile_exists, command_args, mode))
    file_test = ->(operator, path) { operator == "-f" && path == "/etc/m.conf" && cfgfile_exists }
    script = M::RcScript.new(DetectionTestHelper::DEBUG_RC_SCRIPT, rc_conf, file_test: file_test)
    assert_equal([command_args, mode, cfgfile_exists ? "-x /etc/m.conf" : "", "/etc/m.conf",
                  "nobody", nil, "without"],
                 [script["command_args"], script["mode"], script["m_cfgfile"], script.rc_value("cfgfile"),
                  script["user"], script["inner"], script["called"]])
  end

  def test_rc_script_without_name
    assert_nil(M::RcScript.new("# no name line\nfoo=bar\n", []).rc_name)
  end
end
