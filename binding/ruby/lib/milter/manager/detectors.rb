# Detectors - the detector classes by the names defaults/PLATFORM.conf
# uses (DebianDetector, RedHatDetector, FreeBSDRCDetector,
# PkgsrcRCDetector, and the single-source ones). The configuration
# loader includes this module: a file evaluated in the loader finds
# constants among the loader's ancestors, not in Milter::Manager.
module Milter
  module Manager
    module Detectors
      [DebianDetector, DebianInitDetector, DebianSystemdDetector,
       RedHatDetector, RedHatInitDetector, RedHatUpstartDetector, RedHatSystemdDetector,
       FreeBSDRCDetector, PkgsrcRCDetector].each do |detector|
        const_set(detector.name.split("::").last, detector)
      end
    end
  end
end
