# Restrict Accounts (spec applicable-conditions.md §5.7): decided per
# mail transaction over every recipient (the original's issues #39 and
# #42: only the last recipient counted), the condition's name and the
# milters it is added to.
require "helper"
require "fake-condition-context"

class TestRestrictAccounts < Test::Unit::TestCase
  include ConfigurationTestHelper
  include ConditionTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  MILTERS = <<~CONF
    define_milter("clamav-milter") { |milter| milter.connection_spec = "inet:3310@[127.0.0.1]" }
    define_milter("spamass-milter") { |milter| milter.connection_spec = "inet:3311@[127.0.0.1]" }
  CONF

  BY_LIST = MILTERS + <<~CONF
    restrict_accounts_by_list("alice@example.com", /@example\\.org\\z/,
                              condition_name: "Restricted")
  CONF

  # One mail transaction as the MTA drives it (macros for every RCPT,
  # as Postfix sends): -> [RCPT stops..., DATA stop]
  def transaction(configuration, name, recipients, context = FakeConditionContext.new("clamav-milter"))
    context.enter(:envelope_from, "i" => "4ABC")
    answers = recipients.map do |recipient|
      context.enter(:envelope_recipient, "rcpt_addr" => recipient)
      stop?(configuration, name, :envelope_recipient, context, "<#{recipient}>")
    end
    context.enter(:data)
    answers + [stop?(configuration, name, :data, context)]
  end

  # recipients, [RCPT stops..., DATA stop]
  RECIPIENTS = {
    "one restricted" => [["alice@example.com"], [false, false]],
    "one other" => [["bob@example.net"], [true, true]],
    "restricted first (#42)" => [["alice@example.com", "bob@example.net"], [false, true, false]],
    "restricted last" => [["bob@example.net", "alice@example.com"], [true, false, false]],
    "restricted in the middle" => [["bob@example.net", "carol@example.org", "dave@example.net"],
                                   [true, false, true, false]],
    "all others" => [["bob@example.net", "dave@example.net"], [true, true, true]],
    "regexp entry" => [["carol@example.org"], [false, false]],
    "exact string only" => [["xalice@example.com"], [true, true]],
  }

  data(RECIPIENTS)
  def test_every_recipient_counts((recipients, expected))
    configuration = load_text(BY_LIST)
    assert_equal(expected, transaction(configuration, "Restricted", recipients))
  end

  def test_each_transaction_starts_again
    configuration = load_text(BY_LIST)
    context = FakeConditionContext.new("clamav-milter")
    assert_equal([[false, false], [true, true]],
                 [transaction(configuration, "Restricted", ["alice@example.com"], context),
                  transaction(configuration, "Restricted", ["bob@example.net"], context)])
  end

  def test_added_to_every_milter_by_default
    configuration = load_text(BY_LIST + <<~CONF)
      define_milter("milter-greylist") { |milter| milter.connection_spec = "inet:3312@[127.0.0.1]" }
    CONF
    assert_equal([["Restricted"], ["Restricted"], []],
                 configuration.milters.map(&:applicable_conditions))
  end

  def test_default_names_and_milters_option
    configuration = load_text(MILTERS + <<~CONF)
      restrict_accounts_by_list("alice@example.com", /@example\\.org\\z/, milters: ["spamass-milter"])
      restrict_accounts_generic(milters: ["clamav-milter"]) { |context, recipient| true }
    CONF
    list_name = 'Restrict Accounts by List: ["alice@example.com", /@example\.org\z/]'
    assert_equal([["Restrict Accounts"], [list_name]],
                 configuration.milters.map(&:applicable_conditions))
    assert_not_nil(configuration.find_applicable_condition(list_name))
  end

  def test_generic_block_gets_context_and_recipient
    seen = []
    configuration = load_text(MILTERS)
    loader = Milter::Manager::ConfigurationLoader.new(configuration)
    loader.restrict_accounts_generic(condition_name: "Generic") do |context, recipient|
      seen << [context.name, recipient]
      recipient.end_with?("@example.com>")
    end
    assert_equal([true, false, false], transaction(configuration, "Generic", ["a@example.net", "b@example.com"]))
    assert_equal([["clamav-milter", "<a@example.net>"], ["clamav-milter", "<b@example.com>"]], seen)
  end

  def test_old_style_options_hash
    configuration = load_text(MILTERS + <<~CONF)
      restrict_accounts_by_list("alice@example.com", :condition_name => "Old Style",
                                :milters => ["clamav-milter"])
    CONF
    assert_equal([["Old Style"], []], configuration.milters.map(&:applicable_conditions))
  end

  def test_bad_arguments_fail_the_load
    assert_match(/restrict_accounts_by_list accounts should be Strings or Regexps but had 42/,
                 load_error(MILTERS + "restrict_accounts_by_list(42)\n").message)
    assert_match(/milters should name defined milters but had "none"/,
                 load_error(MILTERS + "restrict_accounts_by_list(\"a@b\", milters: [\"none\"])\n").message)
    assert_match(/needs a block/, load_error("restrict_accounts_generic\n").message)
  end

  def test_listed
    accounts = Milter::Manager::MatcherList.new(["alice@example.com", /\Abob@/])
    assert_equal([true, true, true, false, false],
                 ["<alice@example.com>", "alice@example.com", "<bob@example.net>",
                  "<Alice@example.com>", "<carol@example.com>"].map { |recipient|
                   Milter::Manager::RestrictAccounts.listed?(recipient, accounts)
                 })
  end
end
