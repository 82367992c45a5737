# RedHatDetector - the detector of defaults/redhat.conf (spec
# detection.md §6): the candidate's systemd unit when enabled, else its
# upstart job when enabled, else its SysV init script (enabled or not),
# else the disabled job or unit (see CombinedDetector).
module Milter
  module Manager
    class RedHatDetector < CombinedDetector
      SUB_DETECTORS = [RedHatSystemdDetector, RedHatUpstartDetector, RedHatInitDetector]
    end
  end
end
