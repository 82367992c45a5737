# milter/manager - the configuration language of milter-manager.conf
#
# Loading this file defines every class the configuration files need:
# the model (Configuration and its sections, milter and applicable
# condition definitions), the loader that evaluates the files (the DSL),
# the custom XML loader, the --show-config dumper and the placeholders
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
require "milter/manager/child-context"
require "milter/socket-address"
require "milter/manager/configuration"
require "milter/manager/load-path"
require "milter/manager/pending-features"
require "milter/manager/matcher-list"
require "milter/manager/s25r"
require "milter/manager/ip-network"
require "milter/manager/remote-network"
require "milter/manager/postfix-master-cf"
require "milter/manager/stress"
require "milter/manager/trust"
require "milter/manager/restrict-accounts"
require "milter/manager/socket-table"
require "milter/manager/sendmail-compatible"
require "milter/manager/dnsbl"
require "milter/manager/builtin-condition-words"
require "milter/manager/configuration-loader"
require "milter/manager/custom-xml-loader"
require "milter/manager/configuration-dumper"
require "milter/manager/embedded"
