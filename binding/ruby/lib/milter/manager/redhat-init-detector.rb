# RedHatInitDetector - a candidate installed as a Red Hat SysV init
# script /etc/init.d/NAME (spec detection.md §6.2):
#
#   variables  assignments (lower case too) in the script, then
#              /etc/sysconfig/NAME
#   description  the chkconfig "description:" tag
#   spec       enma: milter.socket of CONF_FILE or /etc/enma.conf;
#              clamav-milter (0.95 and later): MilterSocket; opendkim:
#              Socket of CONFIG or /etc/opendkim.conf; rspamd: its proxy
#              worker; SOCKET, SOCKET_ADDRESS, MILTER_SOCKET,
#              CONNECTION_SPEC, -p in OPTIONS; milter-greylist: socket of
#              its greylist.conf (-f in OPTIONS, the "config:" tag, or
#              /etc/mail/greylist.conf)
#   enabled    a start link /etc/rc[0-6].d/SNNNAME (or under /etc/rc.d).
#              Only S links count: chkconfig writes K links for the
#              runlevels a service is off in (the original took those
#              as enabled too).
#   command    /etc/init.d/NAME start
module Milter
  module Manager
    class RedHatInitDetector < Detector
      private

      def find_milters
        path = "/etc/init.d/#{@script_name}"
        text = read_file(path)
        return nil unless text
        variables = script_variables(text, "/etc/sysconfig/#{@script_name}", lower_case: true)
        tags = InitScript.new(text).tags
        detection = new_detection("init script #{path}", command: path, command_options: "start")
        detection.description = tags["description"]
        # clamav-milter 0.95 and later: no SOCKET_ADDRESS, a configuration file
        unless variables.key?("SOCKET_ADDRESS")
          clamav = own_clamav_milter_config { clamav_config_path(variables) }
        end
        greylist = own_milter_greylist_config { greylist_config_path(variables, tags) }
        detection.max_tarpit = greylist&.max_tarpit
        detection.connection_spec = choose_spec([
          ["milter.socket in enma.conf",
           -> { own_socket("enma", variables["CONF_FILE"] || "/etc/enma.conf") }],
          ["MilterSocket in clamav-milter.conf", -> { clamav&.socket }],
          ["Socket in opendkim.conf",
           -> { own_socket("opendkim", variables["CONFIG"] || "/etc/opendkim.conf") }],
          ["rspamd's proxy worker", -> { @script_name == "rspamd" ? rspamd_proxy_spec : nil }],
          *["SOCKET", "SOCKET_ADDRESS", "MILTER_SOCKET", "CONNECTION_SPEC"].map do |name|
            ["variable #{name}", variables[name]]
          end,
          ["-p in OPTIONS", option(variables["OPTIONS"], "-p")],
          ["socket in greylist.conf", -> { greylist&.socket }],
        ])
        unless start_link?
          detection.disabled_reasons << "no start link /etc/rc?.d/S??#{@script_name}"
        end
        detection.disabled_reasons.concat([clamav_example_reason(clamav)].compact)
        detection
      end

      def start_link?
        ["/etc/rc[0-6].d", "/etc/rc.d/rc[0-6].d"].any? do |dirs|
          !glob("#{dirs}/S[0-9][0-9]#{@script_name}").empty?
        end
      end

      def clamav_config_path(variables)
        first_option(variables["CLAMAV_FLAGS"], "--config-file", "-c") ||
          "/etc/clamav-milter.conf"
      end

      def greylist_config_path(variables, tags)
        option(variables["OPTIONS"], "-f") || tags["config"] ||
          "/etc/mail/greylist.conf"
      end
    end
  end
end
