# DebianDetector - the detector of defaults/debian.conf (spec
# detection.md §5): the candidate's systemd unit when it is enabled,
# else its SysV init script (enabled or not), else the disabled unit
# (see CombinedDetector).
module Milter
  module Manager
    class DebianDetector < CombinedDetector
      SUB_DETECTORS = [DebianSystemdDetector, DebianInitDetector]
    end
  end
end
