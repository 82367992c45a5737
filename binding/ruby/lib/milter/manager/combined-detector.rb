# CombinedDetector - a platform detector made of one detector per way a
# service can be installed (systemd unit, upstart job, init script),
# listed in SUB_DETECTORS by priority: the first one that found the
# candidate enabled wins; when none did, the last one that found it
# (disabled) is defined, so that it shows in --show-config and
# milter-manager.local.conf can enable it (the original defined nothing
# when only a disabled unit or job was installed).
module Milter
  module Manager
    class CombinedDetector < Detector
      SUB_DETECTORS = []

      private

      def find_milters
        found = self.class::SUB_DETECTORS.map do |detector_class|
          detector_class.new(@configuration, @script_name).detect(log: false).detections.first
        end.compact
        [found.find(&:enabled?) || found.last].compact
      end
    end
  end
end
