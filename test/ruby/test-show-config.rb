# --show-config: the exact text for a sample configuration (expected
# text written by hand from the spec, fixtures/show-config.txt), the
# same text through the C embedding (milter-manager-config-dump), and
# that the output is itself a configuration giving the same values.
require "helper"
require "open3"

class TestShowConfig < Test::Unit::TestCase
  include ConfigurationTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  def sample_dir
    fixture_path("show-config")
  end

  def expected_text
    File.read(fixture_path("show-config.txt")).gsub("@DIR@", sample_dir)
  end

  def setup_debian
    omit("the expected text assumes package.platform \"debian\"") unless
      Milter::Manager::BuildDefaults::PLATFORM == "debian"
  end

  def test_exact_text
    setup_debian
    configuration = load_configuration([sample_dir])
    assert_equal(expected_text, Milter::Manager::ConfigurationDumper.new(configuration).dump)
  end

  def test_through_the_c_embedding
    setup_debian
    dump = ENV["MILTER_MANAGER_CONFIG_DUMP"]
    omit("MILTER_MANAGER_CONFIG_DUMP not set (run through make check)") unless dump && File.executable?(dump)
    output, errors, status = Open3.capture3({ "MILTER_MANAGER_CONFIG_DIR" => nil },
                                            dump, "--config-dir", sample_dir)
    assert_equal([expected_text, "", true], [output, errors, status.success?])
  end

  def test_c_embedding_reports_file_and_line
    dump = ENV["MILTER_MANAGER_CONFIG_DUMP"]
    omit("MILTER_MANAGER_CONFIG_DUMP not set (run through make check)") unless dump && File.executable?(dump)
    write("milter-manager.conf", "\nmanager.n_workers = -1\n")
    output, errors, status = Open3.capture3(dump, "--config-dir", @work_dir)
    assert_equal(["", "milter-manager-config-dump: #{main_file}:2: manager.n_workers " +
                      "should be an Integer 0..1000 but was -1\n", 1],
                 [output, errors, status.exitstatus])
  end

  def test_output_loads_back_to_the_same_model
    original = load_configuration([sample_dir])
    write("milter-manager.conf", Milter::Manager::ConfigurationDumper.new(original).dump)
    reloaded = load_configuration
    expected = original.to_h
    expected["database"]["extra_options"] = {} # not written by --show-config
    assert_equal(expected, reloaded.to_h)
  end

  def test_dump_error_gives_message
    configuration = load_text("")
    def configuration.sections
      raise "broken"
    end
    text = Milter::Manager::Embedded.dump(configuration)
    assert_match(/\Abroken\n.*configuration-dumper\.rb/m, text)
  end
end
