# Trust (spec applicable-conditions.md §5.6): envelope sender shapes,
# the domain list (defaults, additions, clear, a domains file through
# the load path) and the bundled trust.conf's MAIL FROM stopper.
require "helper"
require "fake-condition-context"

class TestTrust < Test::Unit::TestCase
  include ConfigurationTestHelper
  include ConditionTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  Trust = Milter::Manager::Trust

  # envelope from, domain, trusted by default?
  SHAPES = {
    "plain" => ["<user@gmail.com>", "gmail.com", true],
    "upper-case domain" => ["<User@GMail.COM>", "gmail.com", true],
    "every default domain" => ["<a@clear-code.com>", "clear-code.com", true],
    "docomo" => ["<a@docomo.ne.jp>", "docomo.ne.jp", true],
    "untrusted domain" => ["<user@example.com>", "example.com", false],
    "subdomain is another domain" => ["<user@mail.gmail.com>", "mail.gmail.com", false],
    "no angle brackets" => ["user@gmail.com", nil, false],
    "missing closing bracket" => ["<user@gmail.com", nil, false],
    "null sender" => ["<>", nil, false],
    "no @" => ["<postmaster>", nil, false],
    "empty domain" => ["<user@>", nil, false],
    "split at the first @" => ["<a@b@gmail.com>", "b@gmail.com", false],
    "empty local part" => ["<@gmail.com>", "gmail.com", true],
    "trailing text" => ["<user@gmail.com> SIZE=100", nil, false],
    "nil" => [nil, nil, false],
  }

  data(SHAPES)
  def test_shapes((from, domain, trusted))
    assert_equal([domain, trusted], [Trust.envelope_from_domain(from), Trust.new.trusted?(from)])
  end

  data(SHAPES)
  def test_bundled_stopper((from, _domain, trusted))
    configuration = load_bundled
    context = FakeConditionContext.new.enter(:envelope_from)
    assert_equal([false, trusted ? "yes" : nil],
                 [stop?(configuration, "Trust", :envelope_from, context, from),
                  context["trusted_domain"]])
  end

  def test_domains_file_through_the_load_path
    write("trusted-domains.list", <<~LIST)
      # trusted partners
      Example.COM

        /\\.example\\.org\\z/
      partner.example.net
    LIST
    configuration = load_bundled(<<~CONF)
      trust.clear
      trust.load_envelope_from_domains("trusted-domains.list")
      trust.add_envelope_from_domain { |domain| domain.end_with?(".test") }
    CONF
    context = FakeConditionContext.new.enter(:envelope_from)
    froms = ["<a@example.com>", "<a@Mail.Example.ORG>", "<a@partner.example.net>",
             "<a@b.test>", "<a@gmail.com>", "<a@example.org>"]
    answers = froms.map do |from|
      context.enter(:envelope_from)
      stop?(configuration, "Trust", :envelope_from, context, from)
      context["trusted_domain"]
    end
    assert_equal(["yes", "yes", "yes", "yes", nil, nil], answers)
  end

  def test_parse_domains
    assert_equal(["example.com", /a\.b/i, "/"], Trust.parse_domains("# c\n\nEXAMPLE.com\n /a\\.b/ \n/\n"))
  end

  def test_missing_domains_file_fails_the_load_at_its_line
    error = load_error("\ntrust.load_envelope_from_domains(\"none.list\")\n")
    assert_equal([main_file, 2], [error.file, error.line])
    assert_match(/trust\.load_envelope_from_domains: none\.list doesn't exist/, error.message)
  end
end
