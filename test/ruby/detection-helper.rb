# detection-helper - shared by the detection tests: pointing the
# detectors at a fixture root, a milter's detected fields as a Hash, an
# rc.d script with branches.
module DetectionTestHelper
  def setup_detection_root
    @saved_root = Milter::Manager::Detector.instance_variable_get(:@root)
  end

  def teardown_detection_root
    Milter::Manager::Detector.root = @saved_root
  end

  def detection_fixture(platform)
    fixture_path("detection", platform)
  end

  # An rc.d script whose if's depend on rc.conf (m_debug: issue #154),
  # on a file (m_cfgfile), on the arguments and on what cannot be known
  # (getent, a function's $1).
  DEBUG_RC_SCRIPT = <<~'SCRIPT'
    #!/bin/sh
    . /etc/rc.subr
    name="m"
    rcvar=m_enable
    load_rc_config $name
    : ${m_enable:="NO"}
    : ${m_debug:="NO"}
    : ${m_cfgfile:="/etc/m.conf"}
    command_args="-P /var/run/m.pid"
    if checkyesno m_debug; then
        command_args="${command_args} -p unix:/var/run/m-debug.sock --verbose"
    else
        command_args="${command_args} -p unix:/var/run/m.sock --daemon"
    fi
    if [ -f "${m_cfgfile}" ];then
        m_cfgfile="-x ${m_cfgfile}"
    else
        m_cfgfile=""
    fi
    if test "$m_debug" = "YES"; then mode=debug; elif [ -n "$2" ]; then mode=profile; else mode=plain; fi
    if getent passwd m > /dev/null; then user=m; else user=nobody; fi
    if [ -n "$2" ]; then
        if true; then inner=run; fi
    fi
    m_precmd() {
        if [ -n "$1" ]; then called=with; else called=without; fi
    }
    run_rc_command "$1"
  SCRIPT

  FIELDS = ["enabled", "connection_spec", "command", "command_options", "description",
            "writing_timeout", "reading_timeout", "applicable_conditions"]

  def milter_fields(milter)
    milter && milter.to_h.slice(*FIELDS)
  end

  # A configuration loaded from package.platform = platform and the
  # bundled conf/milter-manager.conf.
  def load_bundled(platform, extra = "")
    conf = File.join(ENV["top_srcdir"] || File.expand_path("../..", __dir__), "conf")
    write("milter-manager.conf",
          "package.platform = #{platform.inspect}\n#{extra}" \
          "load(#{File.join(conf, 'milter-manager.conf').inspect})\n")
    load_configuration([@work_dir, conf])
  end
end
