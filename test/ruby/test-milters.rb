# define_milter / remove_milter / defined_milters and applicable
# condition definitions.
require "helper"

class TestMilters < Test::Unit::TestCase
  include ConfigurationTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  def test_order_of_definition
    configuration = load_text(<<~CONF)
      define_milter("a") { |m| m.connection_spec = "inet:1001" }
      define_milter("b") { |m| m.connection_spec = "inet:1002" }
      define_milter("c")
      $names = defined_milters
    CONF
    assert_equal(["a", "b", "c"], configuration.milter_names)
    assert_equal(["a", "b", "c"], $names)
  end

  # Quirk 1 of the original: redefinition kept most fields but reset
  # fallback_status and evaluation_mode and moved the milter to the end.
  def test_redefinition_keeps_every_field_and_position
    configuration = load_text(<<~CONF)
      define_applicable_condition("S25R")
      define_milter("a") do |milter|
        milter.connection_spec = "inet:1001"
        milter.fallback_status = "reject"
        milter.evaluation_mode = true
        milter.description = "first"
        milter.command = "/usr/sbin/a"
        milter.command_options = "-d"
        milter.user_name = "nobody"
        milter.writing_timeout = 30
        milter.applicable_conditions = ["S25R"]
      end
      define_milter("b")
      define_milter("a") do |milter|
        milter.enabled = false
      end
    CONF
    assert_equal(["a", "b"], configuration.milter_names)
    a = configuration.find_milter("a")
    assert_equal(["inet:1001", "reject", true, "first", "/usr/sbin/a", "-d", "nobody",
                  30.0, ["S25R"], false],
                 [a.connection_spec, a.fallback_status, a.evaluation_mode, a.description,
                  a.command, a.command_options, a.user_name, a.writing_timeout,
                  a.applicable_conditions, a.enabled])
    assert_equal([main_file, 14], a.definition_location)
  end

  def test_remove_milter
    configuration = load_text(<<~CONF)
      define_milter("a") { |m| m.fallback_status = "reject" }
      define_milter("b")
      remove_milter("a")
      remove_milter("never-defined")
      define_milter("a")
    CONF
    assert_equal(["b", "a"], configuration.milter_names)
    assert_equal("accept", configuration.find_milter("a").fallback_status)
  end

  def test_add_applicable_condition_with_locations
    configuration = load_text(<<~CONF)
      define_applicable_condition("X")
      define_applicable_condition("Y")
      define_milter("m") do |milter|
        milter.applicable_conditions = ["X"]
        milter.add_applicable_condition("Y")
      end
    CONF
    milter = configuration.find_milter("m")
    assert_equal([["X", [main_file, 4]], ["Y", [main_file, 5]]],
                 milter.applicable_condition_entries)
  end

  def test_condition_object_accepted
    configuration = load_text(<<~CONF)
      condition = define_applicable_condition("X")
      define_milter("m") { |milter| milter.applicable_conditions = [condition] }
    CONF
    assert_equal(["X"], configuration.find_milter("m").applicable_conditions)
  end

  # Redefinition keeps only the description; milters refer by name.
  def test_condition_redefinition
    configuration = load_text(<<~CONF)
      define_applicable_condition("X") do |condition|
        condition.description = "old"
        condition.define_connect_stopper { |context, host, address| true }
      end
      define_milter("m") { |milter| milter.applicable_conditions = ["X"] }
      define_applicable_condition("X") do |condition|
        condition.define_helo_stopper { |context, fqdn| true }
      end
    CONF
    condition = configuration.find_applicable_condition("X")
    assert_equal(["old", [:helo]], [condition.description, condition.stoppers.keys])
    assert_equal(["X"], configuration.applicable_condition_names)
  end

  def test_model_as_data
    data = load_text(<<~CONF).to_h
      define_applicable_condition("X") { |c| c.description = "x" }
      define_milter("m") do |milter|
        milter.connection_spec = "inet:1001"
        milter.applicable_conditions = ["X"]
      end
    CONF
    assert_equal(["package", "security", "log", "manager", "controller", "database",
                  "applicable_conditions", "milters", "connection_checkers",
                  "report_memory_statistics"], data.keys)
    assert_equal([{ "name" => "X", "description" => "x", "stages" => [] }],
                 data["applicable_conditions"])
    milter = data["milters"].first
    assert_equal(["m", "inet:1001", ["X"], 297.0],
                 milter.values_at("name", "connection_spec", "applicable_conditions",
                                  "connection_timeout"))
  end
end
