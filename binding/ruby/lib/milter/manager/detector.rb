# Detector - the base of the milter detectors that defaults/PLATFORM.conf
# runs (spec detection.md §1, §3):
#
#   detector = DebianDetector.new(configuration, "clamav-milter")
#   detector.detect
#   detector.apply(self) { |milter| milter.applicable_conditions = [...] }
#
# detect finds what the platform installed for one candidate name (a
# subclass's find_milters returns Detection records; none = not
# installed); apply defines one milter per record with its enabled flag,
# description, connection spec, start command and timeouts, then yields
# it for the candidate's default conditions.
#
# Every file is read under Detector.root (default "/", or
# $MILTER_MANAGER_DETECTION_ROOT), so tests point it at a fixture tree;
# the start command keeps the path the system itself will run.
# A detector that fails logs the error and detects nothing: one broken
# candidate never stops the others or the configuration load (the
# original's issue #128). What was found, and why a candidate is
# disabled, is logged at info level.
module Milter
  module Manager
    class Detector
      ROOT_VARIABLE = "MILTER_MANAGER_DETECTION_ROOT"

      # One milter found: enabled when it has a connection spec and
      # disabled_reasons is empty.
      Detection = Struct.new(:milter_name, :source, :description, :connection_spec,
                             :command, :command_options, :max_tarpit,
                             :disabled_reasons, keyword_init: true) do
        def enabled?
          reasons.empty?
        end

        def reasons
          connection_spec ? disabled_reasons : disabled_reasons + ["no connection spec found"]
        end
      end

      # One root for every detector class (kept on Detector itself: a
      # class's instance variables are not inherited).
      class << self
        def root=(path)
          Detector.instance_variable_set(:@root, path)
        end

        def root
          Detector.instance_variable_get(:@root) || ENV[ROOT_VARIABLE] || "/"
        end

        # The path under root of a path on the detected system.
        def host_path(path)
          root == "/" ? path : File.join(root, path)
        end
      end

      attr_reader :configuration, :script_name, :detections

      # connection_spec_detector, when given, is called as
      # block.call(detector, guessed_spec) and its value is used as the
      # spec (as the original's platform files allow).
      def initialize(configuration, script_name, &connection_spec_detector)
        @configuration = configuration
        @script_name = script_name
        @connection_spec_detector = connection_spec_detector
        @detections = []
      end

      # log: false for a platform detector's sub-detectors (the platform
      # detector logs the one it chose).
      def detect(log: true)
        found = find_milters
        # (not Array(found): a Detection is a Struct, which Array() splats)
        @detections = (found.is_a?(Array) ? found : [found]).compact
        @detections.each { |detection| adjust_spec(detection) }
        log_detections if log
        self
      rescue StandardError => error
        Log.warning("[detector][#{label}][error] #{@script_name}: " +
                    "#{error.message} (#{error.class}); not detected")
        @detections = []
        self
      end

      def detected?
        !@detections.empty?
      end

      # The first (usually only) milter found, as the original's readers.
      def name; @detections.first&.milter_name; end
      def enabled?; !!@detections.first&.enabled?; end
      def description; @detections.first&.description; end
      def connection_spec; @detections.first&.connection_spec; end
      def command; @detections.first&.command; end
      def command_options; @detections.first&.command_options; end

      def apply(loader)
        @detections.each do |detection|
          loader.define_milter(detection.milter_name) do |milter|
            apply_detection(milter, detection)
            yield(milter) if block_given?
          end
        end
        nil
      end

      # The short name used in log lines ("debian", "freebsd"...).
      def label
        self.class.name.split("::").last.sub(/(?:RC)?Detector\z/, "").downcase
      end

      private

      # Subclasses: an Array of Detection (or one, or nil).
      def find_milters
        raise NotImplementedError, "#{self.class} must define find_milters"
      end

      def apply_detection(milter, detection)
        milter.enabled = detection.enabled?
        milter.description = detection.description if detection.description
        milter.connection_spec = detection.connection_spec if detection.connection_spec
        milter.command = detection.command
        milter.command_options = detection.command_options
        if detection.max_tarpit
          milter.writing_timeout = milter.writing_timeout + detection.max_tarpit
          milter.reading_timeout = milter.reading_timeout + detection.max_tarpit
        end
      end

      def adjust_spec(detection)
        if @connection_spec_detector
          value = @connection_spec_detector.call(self, detection.connection_spec)
          detection.connection_spec = usable_spec("the platform file's detector", value)
        end
      end

      def log_detections
        @detections.each do |detection|
          state = detection.enabled? ? "enabled" : "disabled (#{detection.reasons.join('; ')})"
          Log.info("[detector][#{label}][detected] #{detection.milter_name} from " +
                   "#{detection.source}: #{state}, " +
                   "spec #{detection.connection_spec.inspect}, command " +
                   "#{[detection.command, detection.command_options].compact.join(' ').inspect}")
        end
      end

      def new_detection(source, **fields)
        Detection.new(milter_name: @script_name, source: source, disabled_reasons: [],
                      **fields)
      end

      # --- files of the detected system (under Detector.root) ---

      def host_path(path)
        self.class.host_path(path)
      end

      # The text of a readable regular file, else nil. Bytes that are not
      # UTF-8 (an init script's Latin-1 comment) are replaced, so that
      # the parsers' regular expressions can read the rest.
      def read_file(path)
        return nil if path.nil?
        full = host_path(path)
        return nil unless File.file?(full) && File.readable?(full)
        File.binread(full).force_encoding(Encoding::UTF_8).scrub("?")
      rescue SystemCallError, IOError
        nil
      end

      def file?(path)
        File.file?(host_path(path))
      end

      def exist?(path)
        File.exist?(host_path(path)) || File.symlink?(host_path(path))
      end

      def executable?(path)
        full = host_path(path)
        File.file?(full) && File.executable?(full)
      end

      # Host paths (not under root) matching pattern.
      def glob(pattern)
        prefix = self.class.root == "/" ? "" : self.class.root.chomp("/")
        Dir.glob(host_path(pattern)).sort.map { |path| path.delete_prefix(prefix) }
      end

      # The value of option in a flags string (DetectorRules.option_value).
      def option(flags, name)
        DetectorRules.option_value(flags, name)
      end

      def first_option(flags, *names)
        DetectorRules.first_option_value(flags, *names)
      end

      # --- the connection spec ---

      # sources: [[label, value or a lambda giving it], ...] in priority
      # order; the first usable value, normalized, or nil. Unusable
      # values (placeholders, unexpanded references) are logged and
      # skipped.
      def choose_spec(sources)
        sources.each do |source, value|
          value = value.call if value.respond_to?(:call)
          spec = usable_spec(source, value)
          return spec if spec
        end
        nil
      end

      def usable_spec(source, value)
        spec = DetectorRules.normalize_spec(value)
        return nil if spec.nil?
        problem = DetectorRules.spec_problem(spec)
        return spec unless problem
        Log.info("[detector][#{label}][skip] #{@script_name}: #{spec.inspect} " +
                 "from #{source} is not used: #{problem}")
        nil
      end

      # --- the milters' own configuration files ---

      # klass (a reader of that file's format) on the file, or nil.
      def config_file(klass, path)
        text = read_file(path)
        text && klass.new(text)
      end

      def clamav_milter_config(path)
        config_file(ClamAVMilterConfig, path)
      end

      def opendkim_socket(path)
        config_file(OpenDKIMConfig, path)&.socket
      end

      def milter_greylist_config(path)
        config_file(MilterGreylistConfig, path)
      end

      def enma_socket(path)
        config_file(EnmaConfig, path)&.socket
      end

      # The assignments of an init script, then of the file that
      # overrides them (/etc/default/NAME, /etc/sysconfig/NAME).
      def script_variables(text, overrides_path, lower_case: false)
        variables = DetectorRules.parse_assignments(text, {}, lower_case: lower_case,
                                                    script_name: @script_name)
        overrides = read_file(overrides_path)
        return variables unless overrides
        DetectorRules.parse_assignments(overrides, variables, lower_case: lower_case,
                                        script_name: @script_name)
      end

      # The socket in the own file of milter (enma, opendkim) when the
      # candidate is that milter.
      def own_socket(milter, path)
        return nil unless @script_name == milter
        milter == "enma" ? enma_socket(path) : opendkim_socket(path)
      end

      # The candidate's own clamav-milter.conf or greylist.conf (the path
      # from the block), nil for other candidates.
      def own_clamav_milter_config
        @script_name == "clamav-milter" ? clamav_milter_config(yield) : nil
      end

      def own_milter_greylist_config
        @script_name == "milter-greylist" ? milter_greylist_config(yield) : nil
      end

      def rspamd_proxy_spec
        output = RspamdProxy.configdump(host_path("/usr/bin/rspamadm"))
        output && RspamdProxy.spec_from_configdump(output)
      end

      # "Example" left in clamav-milter.conf: the sample, not set up.
      def clamav_example_reason(config)
        config&.example? ? "its clamav-milter.conf still has the Example line" : nil
      end
    end
  end
end
