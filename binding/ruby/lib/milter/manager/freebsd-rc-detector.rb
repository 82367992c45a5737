# FreeBSDRCDetector - the detector of defaults/freebsd.conf: ports'
# rc.d scripts in /usr/local/etc/rc.d (spec detection.md §7).
#
#   rc variable  R_enable (or the script's rcvar=), default NO
#   own files    milter-enma: milter.socket of R_cfgfile (-c in
#                command_args, /usr/local/etc/enma.conf); clamav-milter:
#                MilterSocket of R_conf_file or conf_file (-c in
#                command_args, /usr/local/etc/clamav-milter.conf), a
#                sample file disables it; milter-opendkim: Socket of
#                R_cfgfile (-x or -C in command_args,
#                /usr/local/etc/opendkim.conf); rspamd: its proxy worker
#   greylist     R_cfgfile, -f in R_flags or command_args, else
#                /usr/local/etc/mail/greylist.conf (tarpit, socket)
#   profiles     milter-opendkim with R_profiles set: one milter
#                "milter-opendkim-P" per profile P, started with
#                "start P", enabled by R_P_enable (default R_enable); its
#                variables are R_P_X falling back to R_X, so a profile's
#                own R_P_socket is used (the original took the base
#                socket whenever one was set)
module Milter
  module Manager
    class FreeBSDRCDetector < RcDetector
      RC_D = "/usr/local/etc/rc.d"
      RC_CONF_DIRECTORIES = ["/etc/rc.conf.d", "/usr/local/etc/rc.conf.d"]

      private

      def rc_d
        RC_D
      end

      def detections_for(script, path)
        profiles = script.rc_value("profiles").to_s.split if script.rc_name == "milteropendkim"
        return super if profiles.nil? || profiles.empty?
        profiles.map do |profile|
          detection = detection_for(script, path, profile)
          detection.milter_name = "#{@script_name}-#{profile}"
          detection
        end
      end

      def rc_variable(script, profile)
        name = rcvar_name(script, "#{script.rc_name}_enable")
        return [name, script.rc_variable(name)] unless profile
        profiled = "#{script.rc_name}_#{profile}_enable"
        [profiled, script.rc_variable(profiled) || script.rc_variable(name)]
      end

      def application_specs(script, value)
        args = script["command_args"]
        case
        when @script_name == "milter-enma" || script.rc_name == "milterenma"
          path = value.call("cfgfile") || option(args, "-c") ||
                 "/usr/local/etc/enma.conf"
          [["milter.socket in #{path}", -> { enma_socket(path) }]]
        when script.rc_name == "clamav_milter"
          [["MilterSocket in #{clamav_config_path(script, value)}",
            -> { clamav_milter_config(clamav_config_path(script, value))&.socket }]]
        when script.rc_name == "milteropendkim"
          path = value.call("cfgfile") || first_option(args, "-x", "-C") ||
                 "/usr/local/etc/opendkim.conf"
          [["Socket in #{path}", -> { opendkim_socket(path) }]]
        when @script_name == "rspamd"
          [["rspamd's proxy worker", -> { rspamd_proxy_spec }]]
        else
          []
        end
      end

      def application_problems(script, value)
        return [] unless script.rc_name == "clamav_milter"
        [clamav_example_reason(clamav_milter_config(clamav_config_path(script, value)))].compact
      end

      def clamav_config_path(script, value)
        value.call("conf_file") || script["conf_file"] ||
          option(script["command_args"], "-c") || "/usr/local/etc/clamav-milter.conf"
      end

      def greylist_config_path(script, value)
        value.call("cfgfile") || option(value.call("flags"), "-f") ||
          option(script["command_args"], "-f") || "/usr/local/etc/mail/greylist.conf"
      end
    end
  end
end
