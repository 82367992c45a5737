# helper - shared by the Ruby tests: temporary configuration trees,
# loading them, and capturing the log.
require "fileutils"
require "tmpdir"
require "milter/manager"

module ConfigurationTestHelper
  def setup_work_dir
    @work_dir = Dir.mktmpdir("milter-ruby-test")
    @log_lines = []
    Milter::Manager::Log.sink = ->(level, message) { @log_lines << [level, message] }
  end

  def teardown_work_dir
    Milter::Manager::Log.sink = nil
    FileUtils.rm_rf(@work_dir) if @work_dir
  end

  # write("a/b.conf", text) -> the absolute path
  def write(name, content, dir: @work_dir)
    path = File.join(dir, name)
    FileUtils.mkdir_p(File.dirname(path))
    File.write(path, content)
    path
  end

  # As the daemon does: clear, then load.
  def load_configuration(dirs = [@work_dir])
    Milter::Manager::Embedded.clear
    Milter::Manager::ConfigurationLoader.load(dirs)
  end

  def load_text(content)
    write("milter-manager.conf", content)
    load_configuration
  end

  def load_error(content)
    write("milter-manager.conf", content)
    assert_raise_kind_of(Milter::Manager::ConfigurationError) { load_configuration }
  end

  def main_file
    File.join(@work_dir, "milter-manager.conf")
  end

  def fixture_path(*parts)
    File.join(__dir__, "fixtures", *parts)
  end
end
