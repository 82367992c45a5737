# DebianInitDetector - a candidate installed as a Debian SysV init
# script /etc/init.d/NAME (spec detection.md §5.1):
#
#   variables  assignments in the script, then /etc/default/NAME
#   description  the LSB Description, else DESC
#   spec       clamav-milter (0.95 and later): MilterSocket of its
#              configuration; opendkim: Socket of /etc/opendkim.conf
#              (its script passes SOCKET only when the file has none);
#              then SOCKET, SOCKFILE, CONNECTION_SPEC, -p in OPTARGS,
#              DAEMON_ARGS or PARAMS
#   enabled    unless ENABLED is "0" or a sample clamav-milter.conf
#   command    /etc/init.d/NAME start
# milter-greylist: its greylist.conf (-f in OPTIONS) gives the tarpit.
module Milter
  module Manager
    class DebianInitDetector < Detector
      private

      def find_milters
        path = "/etc/init.d/#{@script_name}"
        text = read_file(path)
        return nil unless text
        variables = script_variables(text, "/etc/default/#{@script_name}")
        detection = new_detection("init script #{path}", command: path, command_options: "start")
        lsb = InitScript.new(text).lsb
        detection.description = lsb["Description"] || variables["DESC"]
        if new_clamav_milter?(variables)
          clamav = own_clamav_milter_config { clamav_config_path(variables) }
        end
        detection.connection_spec = choose_spec([
          ["MilterSocket in clamav-milter.conf", -> { clamav&.socket }],
          ["Socket in /etc/opendkim.conf", -> { own_socket("opendkim", "/etc/opendkim.conf") }],
          *["SOCKET", "SOCKFILE", "CONNECTION_SPEC"].map do |name|
            ["variable #{name}", variables[name]]
          end,
          *["OPTARGS", "DAEMON_ARGS", "PARAMS"].map do |name|
            ["-p in #{name}", option(variables[name], "-p")]
          end,
        ])
        detection.max_tarpit = own_milter_greylist_config do
          option(variables["OPTIONS"], "-f") || "/etc/milter-greylist/greylist.conf"
        end&.max_tarpit
        if variables["ENABLED"] == "0"
          detection.disabled_reasons << "ENABLED is 0 in /etc/default/#{@script_name}"
        end
        detection.disabled_reasons.concat([clamav_example_reason(clamav)].compact)
        detection
      end

      # clamav-milter 0.95 and later read their socket from a
      # configuration file the script names.
      def new_clamav_milter?(variables)
        variables["CLAMAVCONF"].to_s.include?("clamav-milter") ||
          variables.key?("CLAMAVMILTERCONF")
      end

      def clamav_config_path(variables)
        variables["CLAMAVCONF"] || variables["CLAMAVMILTERCONF"] ||
          "/etc/clamav/clamav-milter.conf"
      end
    end
  end
end
