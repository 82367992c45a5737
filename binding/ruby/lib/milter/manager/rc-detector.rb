# RcDetector - a candidate installed as a BSD rc.d script RC_D/NAME
# (spec detection.md §7.1); FreeBSDRCDetector and PkgsrcRCDetector say
# where RC_D is, which rc variable enables the service, and which
# milters have their own configuration files.
#
#   found     RC_D/NAME is readable and has a name= line (the rc name R)
#   variables RcScript: the script with /etc/rc.conf, /etc/rc.conf.local,
#             /etc/rc.conf.d/R (and FreeBSD's /usr/local/etc/rc.conf.d/R),
#             run as `RC_D/NAME start` (its if's decided where they can
#             be: R_debug=YES gives the debug branch's command_args)
#   spec      the milter's own file (subclasses), then R_socket,
#             R_sockfile, R_connection_spec, -p in R_flags, -p in
#             command_args, then milter-greylist's greylist.conf socket
#   enabled   the rc variable is YES (any case)
#   command   RC_D/NAME start, whatever the script passes to the milter
#             (R_debug=YES: --verbose instead of --daemon is the
#             script's business when the launcher runs it)
module Milter
  module Manager
    class RcDetector < Detector
      RC_CONF_FILES = ["/etc/rc.conf", "/etc/rc.conf.local"]
      RC_CONF_DIRECTORIES = ["/etc/rc.conf.d"]

      private

      def find_milters
        path = "#{rc_d}/#{@script_name}"
        text = read_file(path)
        return nil unless text
        script = RcScript.new(text, [], file_test: method(:shell_file_test))
        return nil unless script.rc_name
        script = RcScript.new(text, rc_conf_texts(script.rc_name), file_test: method(:shell_file_test))
        detections_for(script, path)
      end

      # The script's `[ -f PATH ]` and the like, under the root.
      def shell_file_test(operator, path)
        return nil unless path.start_with?("/")
        full = host_path(path)
        case operator
        when "-e" then exist?(path)
        when "-f" then File.file?(full)
        when "-r" then File.readable?(full)
        when "-d" then File.directory?(full)
        when "-s" then File.size?(full) ? true : false
        when "-x" then File.executable?(full)
        when "-L", "-h" then File.symlink?(full)
        end
      end

      # One milter per script (FreeBSD's OpenDKIM profiles: several).
      def detections_for(script, path)
        [detection_for(script, path)]
      end

      def detection_for(script, path, profile = nil)
        source = profile ? "rc script #{path} profile #{profile}" : "rc script #{path}"
        detection = new_detection(source)
        value = ->(suffix) { profile_value(script, suffix, profile) }
        greylist = own_milter_greylist_config { greylist_config_path(script, value) }
        detection.max_tarpit = greylist&.max_tarpit
        detection.connection_spec = choose_spec([
          *application_specs(script, value),
          *["socket", "sockfile", "connection_spec"].map do |suffix|
            ["#{script.rc_name}_#{suffix}", -> { value.call(suffix) }]
          end,
          ["-p in #{script.rc_name}_flags", -> { option(value.call("flags"), "-p") }],
          ["-p in command_args", -> { option(script["command_args"], "-p") }],
          ["socket in greylist.conf", -> { greylist&.socket }],
        ])
        detection.disabled_reasons.concat(application_problems(script, value))
        rcvar, enabled = rc_variable(script, profile)
        unless enabled.to_s.casecmp?("YES")
          value = enabled || "NO (unset)"
          detection.disabled_reasons << "#{rcvar} is #{value.inspect}, not YES"
        end
        detection.command = path
        detection.command_options = profile ? "start #{profile}" : "start"
        detection
      end

      # A variable of profile P (R_P_X) falling back to the script's
      # own (R_X); without a profile, R_X.
      def profile_value(script, suffix, profile)
        (profile && script.rc_value("#{profile}_#{suffix}")) || script.rc_value(suffix)
      end

      def rc_conf_texts(rc_name)
        paths = RC_CONF_FILES + self.class::RC_CONF_DIRECTORIES.map { |dir| "#{dir}/#{rc_name}" }
        paths.map { |path| read_file(path) }
      end

      # Subclasses: [[label, value], ...] tried before R_socket.
      def application_specs(_script, _value)
        []
      end

      # Subclasses: reasons (Strings) to disable the milter.
      def application_problems(_script, _value)
        []
      end

      # The rc variable named by an rcvar= line (not `set_rcvar`), else
      # default_name.
      def rcvar_name(script, default_name)
        named = script["rcvar"]
        named && /\A\w+\z/.match?(named) ? named : default_name
      end

      # A path as the milter's configuration names it: relative ones are
      # relative to the package prefix.
      def absolute(path)
        path
      end
    end
  end
end
