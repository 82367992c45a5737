# SystemdDetector - a candidate installed as a systemd service unit
# NAME.service (spec detection.md §5.2, Debian; §6, Red Hat):
#
#   found     the unit in /etc/systemd/system, /run/systemd/system,
#             /usr/lib/systemd/system or /lib/systemd/system (first wins)
#   settings  the unit, then its drop-ins NAME.service.d/*.conf (in file
#             name order; a name in an earlier directory hides the same
#             name in a later one); variables from Environment= and
#             EnvironmentFile= (the file overrides), expanded in ExecStart
#   spec      -p in ExecStart (what the daemon is told wins over its
#             configuration file: the original's issue #205), then the
#             milter's own file (clamav-milter, milter-greylist,
#             opendkim, rspamd), then variable SOCKET
#   enabled   a TARGET.wants/NAME.service link in /etc/systemd/system
#             (multi-user.target or a WantedBy= target), not masked, and
#             not a clamav-milter.conf that is still the sample
#   command   systemctl start NAME (else service NAME start)
# The Debian and Red Hat subclasses differ only in the milters' default
# configuration paths.
module Milter
  module Manager
    class SystemdDetector < Detector
      UNIT_DIRECTORIES = ["/etc/systemd/system", "/run/systemd/system",
                          "/usr/lib/systemd/system", "/lib/systemd/system"]
      SYSTEMCTL = ["/usr/bin/systemctl", "/bin/systemctl"]
      SERVICE = ["/usr/sbin/service", "/sbin/service"]
      DEFAULT_CONFIGS = {}

      private

      def find_milters
        unit_path = UNIT_DIRECTORIES.map { |dir| "#{dir}/#{unit_name}" }
                                    .find { |unit| exist?(unit) }
        return nil unless unit_path
        detection = new_detection("systemd unit #{unit_path}")
        if masked?(unit_path)
          detection.disabled_reasons << "the unit is masked"
          return detection
        end
        unit = SystemdUnit.new([read_file(unit_path), *drop_ins.map { |path| read_file(path) }])
        variables = unit_variables(unit)
        exec_start = DetectorRules.expand(unit.exec_start.to_s.sub(/\A[-@+!:]+/, ""), variables)
        fill(detection, unit, variables, exec_start)
        detection
      end

      def unit_name
        "#{@script_name}.service"
      end

      def masked?(path)
        full = host_path(path)
        (File.symlink?(full) && File.readlink(full) == "/dev/null") ||
          (File.file?(full) && File.zero?(full))
      end

      def drop_ins
        chosen = {}
        UNIT_DIRECTORIES.each do |dir|
          glob("#{dir}/#{unit_name}.d/*.conf").each do |path|
            chosen[File.basename(path)] ||= path
          end
        end
        chosen.keys.sort.map { |name| chosen[name] }
      end

      def unit_variables(unit)
        variables = unit.environment.dup
        unit.environment_files.each do |path, _optional|
          text = read_file(path)
          variables = DetectorRules.parse_assignments(text, variables, lower_case: true) if text
        end
        variables
      end

      def fill(detection, unit, variables, exec_start)
        detection.description = unit.description
        clamav = own_clamav_milter_config do
          config_path("clamav-milter", exec_start, "-c", "--config-file")
        end
        greylist = own_milter_greylist_config { config_path("milter-greylist", exec_start, "-f") }
        detection.max_tarpit = greylist&.max_tarpit
        detection.connection_spec = choose_spec([
          ["-p in ExecStart", option(exec_start, "-p")],
          ["MilterSocket in clamav-milter.conf", -> { clamav&.socket }],
          ["socket in greylist.conf", -> { greylist&.socket }],
          ["Socket in opendkim.conf", -> { opendkim_spec(exec_start, variables) }],
          ["rspamd's proxy worker", -> { @script_name == "rspamd" ? rspamd_proxy_spec : nil }],
          ["variable SOCKET", variables["SOCKET"]],
        ])
        detection.disabled_reasons.concat([enabled_problem(unit),
                                           clamav_example_reason(clamav)].compact)
        detection.command, detection.command_options = start_command
      end

      def config_path(milter, exec_start, *options)
        first_option(exec_start, *options) ||
          self.class::DEFAULT_CONFIGS.fetch(milter)
      end

      def opendkim_spec(exec_start, variables)
        return nil unless @script_name == "opendkim"
        path = option(exec_start, "-x") ||
               option(variables["OPTIONS"], "-x") || "/etc/opendkim.conf"
        opendkim_socket(path)
      end

      def enabled_problem(unit)
        targets = (["multi-user.target"] + unit.wanted_by).uniq
        linked = targets.any? do |target|
          exist?("/etc/systemd/system/#{target}.wants/#{unit_name}")
        end
        linked ? nil : "the unit is not enabled (no #{targets.join(' or ')} wants link)"
      end

      def start_command
        systemctl = SYSTEMCTL.find { |path| executable?(path) }
        return [systemctl, "start #{@script_name}"] if systemctl
        service = SERVICE.find { |path| executable?(path) }
        return [service, "#{@script_name} start"] if service
        [SYSTEMCTL.first, "start #{@script_name}"]
      end
    end

    class DebianSystemdDetector < SystemdDetector
      DEFAULT_CONFIGS = { "clamav-milter" => "/etc/clamav/clamav-milter.conf",
                          "milter-greylist" => "/etc/milter-greylist/greylist.conf" }
    end

    class RedHatSystemdDetector < SystemdDetector
      DEFAULT_CONFIGS = { "clamav-milter" => "/etc/mail/clamav-milter.conf",
                          "milter-greylist" => "/etc/mail/greylist.conf" }
    end
  end
end
