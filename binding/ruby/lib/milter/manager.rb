# milter/manager - the configuration language of milter-manager.conf
#
# Loading this file defines every class the configuration files need:
# the model (Configuration and its sections, milter and applicable
# condition definitions), the loader that evaluates the files (the DSL),
# the custom XML loader, the --show-config dumper, the milter detectors
# of defaults/PLATFORM.conf and the placeholders
# for words that belong to later work. The embedded interpreter of the
# daemon requires it once and then calls Milter::Manager::Embedded.
require "milter/manager/error"
require "milter/manager/log"
require "milter/manager/value-rules"
require "milter/manager/connection-spec"
require "milter/manager/build-defaults"
require "milter/manager/configuration-section"
require "milter/manager/sections"
require "milter/manager/database-section"
require "milter/manager/milter-definition"
require "milter/manager/applicable-condition-definition"
require "milter/manager/configuration"
require "milter/manager/load-path"
require "milter/manager/pending-features"
require "milter/manager/detector-rules"
require "milter/manager/key-value-config"
require "milter/manager/milter-greylist-config"
require "milter/manager/enma-config"
require "milter/manager/rspamd-proxy"
require "milter/manager/init-script"
require "milter/manager/systemd-unit"
require "milter/manager/rc-script"
require "milter/manager/detector"
require "milter/manager/combined-detector"
require "milter/manager/systemd-detector"
require "milter/manager/debian-init-detector"
require "milter/manager/debian-detector"
require "milter/manager/redhat-init-detector"
require "milter/manager/redhat-upstart-detector"
require "milter/manager/redhat-detector"
require "milter/manager/rc-detector"
require "milter/manager/freebsd-rc-detector"
require "milter/manager/pkgsrc-rc-detector"
require "milter/manager/detectors"
require "milter/manager/configuration-loader"
require "milter/manager/custom-xml-loader"
require "milter/manager/configuration-dumper"
require "milter/manager/embedded"
