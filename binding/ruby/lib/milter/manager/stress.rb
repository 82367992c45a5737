# Stress - the `stress` helper of the "Stress Notify" and "No Stress"
# conditions: is this manager busy?
#
#   stress.threshold_n_connections = 30   (0: never stressed)
#   stress.postfix_master_cf = PATH       (default: CONFIG_DIRECTORY/master.cf)
#   stress.postconf_command = "postconf"
#
# Stressed <=> threshold > 0 and the sessions this process handles now
# (context.n_processing_sessions) >= threshold: Stress.stressed? is that
# rule. Without a set threshold it is detected once, the first time a
# Postfix session asks (context.postfix?: macro v names Postfix; the
# original looked for a running Postfix in `ps ax` instead): 75 %
# (rounded down) of the process limit of Postfix's smtpd on the smtp
# port (PostfixMasterCf), with default_process_limit and
# config_directory from `postconf -h`. Postfix's defaults give 75. For
# another MTA, or when detection fails, the threshold is 0. Logs:
#   info  [breaker][detect][threshold][postfix] N
#   error [breaker][detect][error][threshold] can't detect MTA: REASON
require "open3"

module Milter
  module Manager
    class Stress
      # Postfix's own default_process_limit.
      POSTFIX_DEFAULT_PROCESS_LIMIT = 100

      # Why the threshold could not be detected.
      class DetectionError < StandardError
      end

      attr_accessor :postconf_command
      attr_reader :postfix_master_cf

      def initialize
        @threshold = nil
        @detected = nil
        @postfix_master_cf = nil
        @postconf_command = "postconf"
      end

      # The set threshold, else the one detected from Postfix's files.
      def threshold_n_connections
        @threshold || detected_threshold
      end

      def threshold_n_connections=(value)
        unless value.nil? || (value.is_a?(Integer) && value >= 0)
          raise InvalidValue, "stress.threshold_n_connections should be an Integer >= 0 but was #{value.inspect}"
        end
        @threshold = value
      end

      def postfix_master_cf=(path)
        @postfix_master_cf = ValueRules.string("stress.postfix_master_cf", path)
        @detected = nil
      end

      def stressed?(context)
        threshold = @threshold || (context.postfix? ? detected_threshold : 0)
        Stress.stressed?(context.n_processing_sessions, threshold)
      end

      def self.stressed?(n_processing_sessions, threshold)
        threshold > 0 && n_processing_sessions >= threshold
      end

      def self.threshold_for_process_limit(limit)
        limit * 3 / 4
      end

      private

      def detected_threshold
        @detected ||= detect_threshold
      end

      def detect_threshold
        limit = postfix_smtpd_process_limit
        threshold = Stress.threshold_for_process_limit(limit)
        Log.info("[breaker][detect][threshold][postfix] #{threshold}")
        threshold
      rescue DetectionError => error
        Log.error("[breaker][detect][error][threshold] can't detect MTA: #{error.message}")
        0
      end

      def postfix_smtpd_process_limit
        default_limit, config_directory = postconf("default_process_limit", "config_directory")
        path = @postfix_master_cf
        path ||= File.join(config_directory, "master.cf") if config_directory
        raise DetectionError, "no Postfix configuration directory" unless path
        text = begin
                 File.read(path)
               rescue SystemCallError => error
                 raise DetectionError, error.message
               end
        limit = PostfixMasterCf.smtpd_process_limit(text, default_limit || POSTFIX_DEFAULT_PROCESS_LIMIT)
        raise DetectionError, "#{path}: no smtpd service on the smtp port" unless limit
        limit
      end

      # -> the values (nil each when postconf is missing or fails).
      def postconf(*names)
        output, status = Open3.capture2(@postconf_command, "-h", *names, err: File::NULL)
        values = output.lines.map(&:strip)
        return [nil] * names.size unless status.success? && values.size == names.size
        values
      rescue SystemCallError
        [nil] * names.size
      end
    end
  end
end
