# PkgsrcRCDetector - the detector of defaults/pkgsrc.conf: pkgsrc's rc.d
# scripts (spec detection.md §7).
#
#   RC_D         package.options "rcddir", else PREFIX/rc.d, with PREFIX
#                package.options "prefix", else /usr/pkg/etc
#   rc variable  the script's rcvar= (usually $name), else R itself;
#                YES in rc.conf enables, default NO
#   own files    enma: milter.socket of its enma.conf (-c in
#                command_args, else PREFIX/enma.conf)
#   greylist     -f in command_args, else PREFIX/greylist.conf
# Relative paths in command_args are relative to PREFIX.
module Milter
  module Manager
    class PkgsrcRCDetector < RcDetector
      DEFAULT_PREFIX = "/usr/pkg/etc"

      private

      def options
        @configuration.package.options || {}
      end

      def prefix
        options["prefix"] || DEFAULT_PREFIX
      end

      def rc_d
        options["rcddir"] || File.join(prefix, "rc.d")
      end

      def absolute(path)
        path.start_with?("/") ? path : File.join(prefix, path)
      end

      def rc_variable(script, _profile)
        name = rcvar_name(script, script.rc_name)
        [name, script.rc_variable(name)]
      end

      def application_specs(script, _value)
        return [] unless @script_name == "enma"
        path = absolute(option(script["command_args"], "-c") || "enma.conf")
        [["milter.socket in #{path}", -> { enma_socket(path) }]]
      end

      def greylist_config_path(script, _value)
        absolute(option(script["command_args"], "-f") || "greylist.conf")
      end
    end
  end
end
