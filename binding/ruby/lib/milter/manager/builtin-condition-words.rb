# BuiltinConditionWords - the configuration words of the built-in
# applicable conditions, mixed into ConfigurationLoader:
#   s25r, remote_network, stress, trust, sendmail_compatible  (helper objects)
#   restrict_accounts_by_list, restrict_accounts_generic
# Each helper is created on first use and belongs to one load (one
# loader), so a reload starts from the defaults again; the stopper
# blocks of applicable-conditions/*.conf and every later file
# (milter-manager.local.conf) reach the same objects.
module Milter
  module Manager
    module BuiltinConditionWords
      def s25r
        @s25r ||= S25R.new
      end

      def remote_network
        @remote_network ||= RemoteNetwork.new
      end

      def stress
        @stress ||= Stress.new
      end

      def trust
        @trust ||= Trust.new(configuration.load_path)
      end

      def sendmail_compatible
        @sendmail_compatible ||= SendmailCompatible.new
      end

      def restrict_accounts_generic(options = {}, &block)
        raise ArgumentError, "restrict_accounts_generic needs a block" unless block
        name = options[:condition_name] || "Restrict Accounts"
        RestrictAccounts.define(self, name, options[:milters] || defined_milters, block)
      end

      def restrict_accounts_by_list(*accounts, condition_name: nil, milters: nil)
        list = MatcherList.new
        accounts.flatten.each do |account|
          unless account.is_a?(String) || account.is_a?(Regexp)
            raise ArgumentError, "restrict_accounts_by_list accounts should be Strings or Regexps but had #{account.inspect}"
          end
          list.add(account)
        end
        restrict_accounts_generic(condition_name: condition_name ||
                                                  "Restrict Accounts by List: #{accounts.inspect}",
                                  milters: milters) do |_context, recipient|
          RestrictAccounts.listed?(recipient, list)
        end
      end
    end
  end
end
