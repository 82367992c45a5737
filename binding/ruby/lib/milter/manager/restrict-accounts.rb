# RestrictAccounts - restrict_accounts_generic and
# restrict_accounts_by_list: apply milters only to mail for some
# accounts.
#
#   restrict_accounts_by_list("alice@example.com", /@example\.org\z/,
#                             condition_name: "...", milters: ["..."])
#   restrict_accounts_generic(condition_name: "...", milters: [...]) do |context, recipient|
#     ...  # true: a restricted account (the milters apply to it)
#   end
#
# Each defines a condition (default names: "Restrict Accounts", and
# "Restrict Accounts by List: " + the list's inspection) and appends it
# to options[:milters] (default: every milter defined so far). Per
# recipient, an account outside the restriction is not passed to the
# child (its RCPT is stopped); at DATA the child is stopped unless at
# least one recipient of the mail transaction was a restricted account.
# Which recipients matched is kept in the mail-transaction shelf, not
# in a macro: the RCPT-stage macros are replaced by the MTA's next
# RCPT, which made the original's answer depend on the last recipient
# only (its issues #39 and #42).
module Milter
  module Manager
    module RestrictAccounts
      module_function

      # "<alice@example.com>" against accounts (String: equal, Regexp:
      # match) -> boolean
      def listed?(recipient, accounts)
        address = recipient.to_s.sub(/\A<(.*)>\z/, '\1')
        accounts.match?(address)
      end

      def shelf_key(condition_name)
        "restrict-accounts: #{condition_name}"
      end

      # Defines the condition through the loader (define_applicable_condition,
      # the configuration's milters) and returns it.
      def define(loader, condition_name, milter_names, block)
        key = shelf_key(condition_name)
        condition = loader.define_applicable_condition(condition_name) do |definition|
          definition.description = "Apply milters only to the restricted accounts"
          definition.define_envelope_recipient_stopper do |context, recipient|
            matched = block.call(context, recipient)
            context.mail_transaction_shelf[key] = true if matched
            !matched
          end
          definition.define_data_stopper do |context|
            context.mail_transaction_shelf[key] != true
          end
        end
        milter_names.each do |name|
          milter = loader.configuration.find_milter(name)
          unless milter
            raise InvalidValue, "restrict_accounts: milters should name defined milters but had #{name.inspect}"
          end
          milter.add_applicable_condition(condition_name)
        end
        condition
      end
    end
  end
end
