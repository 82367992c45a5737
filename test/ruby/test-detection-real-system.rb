# Detection on this machine: with the Debian packages clamav-milter,
# opendkim and spamass-milter installed (scripts/deps.sh test),
# `milter-manager --show-config` with the bundled configuration lists
# each with its real socket, enabled state and start command. The
# expected values are read from the packages' own files the simple way
# (what Debian 12's packages ship), not through the detectors.
require "helper"
require "open3"

class TestDetectionRealSystem < Test::Unit::TestCase
  def installed?(package)
    output, status = Open3.capture2("dpkg-query", "-W", "-f=${Status}", package, err: File::NULL)
    status.success? && output.include?("install ok installed")
  rescue SystemCallError
    false
  end

  def setup
    omit("not a Debian system") unless File.exist?("/etc/debian_version")
    omit("built for package.platform #{Milter::Manager::BuildDefaults::PLATFORM.inspect}") unless
      Milter::Manager::BuildDefaults::PLATFORM == "debian"
    @program = ENV["MILTER_MANAGER_PROGRAM"]
    omit("MILTER_MANAGER_PROGRAM not set (run through make check)") unless @program && File.executable?(@program)
  end

  def show_config
    conf = File.join(ENV["top_srcdir"], "conf")
    output, errors, status = Open3.capture3({ "MILTER_MANAGER_DETECTION_ROOT" => nil,
                                              "MILTER_MANAGER_CONFIG_DIR" => nil },
                                            @program, "--show-config", "--config-dir", conf)
    assert_equal([true, ""], [status.success?, errors.lines.grep_v(/not supported yet/).join])
    output
  end

  def milter_block(output, name)
    output[/^define_milter\(#{Regexp.escape(name.inspect)}\) do.*?^end$/m]
  end

  def value(block, item)
    block[/^  milter\.#{item} = (.*)$/, 1]
  end

  def unit_enabled?(name)
    File.exist?("/lib/systemd/system/#{name}.service") &&
      File.exist?("/etc/systemd/system/multi-user.target.wants/#{name}.service")
  end

  def command(name)
    if unit_enabled?(name)
      ["\"/usr/bin/systemctl\"", "\"start #{name}\""]
    else
      ["\"/etc/init.d/#{name}\"", "\"start\""]
    end
  end

  def spec_of(path, key)
    socket = File.read(path)[/^#{key}\s+(\S+)/, 1]
    socket.start_with?("/") ? "unix:#{socket}" : socket
  end

  def expected(name)
    case name
    when "clamav-milter"
      conf = "/etc/clamav/clamav-milter.conf"
      [spec_of(conf, "MilterSocket"), !File.read(conf).match?(/^Example/)]
    when "opendkim"
      [spec_of("/etc/opendkim.conf", "Socket"), true]
    when "spamass-milter"
      # the init script's default when Postfix is installed, unless
      # /etc/default/spamass-milter sets SOCKET
      own = File.read("/etc/default/spamass-milter")[/^SOCKET="?([^"\s]+)/, 1]
      ["unix:#{own || '/var/spool/postfix/spamass/spamass.sock'}", true]
    end
  end

  data("clamav-milter" => "clamav-milter", "opendkim" => "opendkim", "spamass-milter" => "spamass-milter")
  def test_installed_milter_is_listed(name)
    omit("package #{name} is not installed (scripts/deps.sh test installs it)") unless installed?(name)
    block = milter_block(show_config, name)
    assert_not_nil(block, "#{name} missing from --show-config")
    spec, enabled = expected(name)
    assert_equal([spec.inspect, enabled.to_s, *command(name)],
                 [value(block, "connection_spec"), value(block, "enabled"),
                  value(block, "command"), value(block, "command_options")])
  end
end
