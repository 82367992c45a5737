# The resolution table of load/load_if_exist (LoadPath#resolve), the
# main file lookup and load_if_exist's narrow rescue.
require "helper"

class TestLoadPath < Test::Unit::TestCase
  include ConfigurationTestHelper

  setup :setup_work_dir
  setup :setup_tree
  teardown :teardown_work_dir

  def setup_tree
    @first = File.join(@work_dir, "first")
    @second = File.join(@work_dir, "second")
    write("first/only-first.conf", "")
    write("first/both.conf", "")
    write("second/both.conf", "")
    write("second/only-second.conf", "")
    write("first/dir/a.conf", "")
    write("first/dir/b.txt", "")
    write("first/dir/sub/c.conf", "")
    write("second/dir/z.conf", "")
    write("second/glob/g1.conf", "")
    write("second/glob/g2.conf", "")
    write("first/mixed/m1.conf", "")
    write("second/mixed/m2.conf", "")
    @path = Milter::Manager::LoadPath.new([@first, @second])
  end

  def rel(files)
    files.map { |file| file.delete_prefix("#{@work_dir}/") }
  end

  CASES = {
    "absolute file" => [:absolute, "second/both.conf", ["second/both.conf"]],
    "absolute missing" => [:absolute, "second/none.conf", []],
    "file in first dir wins" => ["both.conf", ["first/both.conf"]],
    "file only in second dir" => ["only-second.conf", ["second/only-second.conf"]],
    "directory: its files, not recursive, first dir only" =>
      ["dir", ["first/dir/a.conf", "first/dir/b.txt"]],
    "glob: matches of the first dir with any" => ["*.conf", ["first/both.conf", "first/only-first.conf"]],
    "glob in a subdirectory present in the second dir only" =>
      ["glob/*.conf", ["second/glob/g1.conf", "second/glob/g2.conf"]],
    "glob stops at the first dir with matches" => ["mixed/*.conf", ["first/mixed/m1.conf"]],
    "glob excludes directories" => ["dir/*", ["first/dir/a.conf", "first/dir/b.txt"]],
    "nothing" => ["none/*.conf", []],
  }

  data(CASES.to_h { |name, row| [name, row] })
  def test_resolve(row)
    if row.first == :absolute
      _, path, expected = row
      path = File.join(@work_dir, path)
    else
      path, expected = row
    end
    assert_equal(expected, rel(@path.resolve(path)))
  end

  def test_main_file_first_in_load_path
    write("first/milter-manager.conf", "manager.n_workers = 1\n")
    write("second/milter-manager.conf", "manager.n_workers = 2\n")
    assert_equal(1, load_configuration([@first, @second]).manager.n_workers)
    assert_equal(2, load_configuration([File.join(@work_dir, "none"), @second]).manager.n_workers)
  end

  def test_missing_main_file
    error = assert_raise(Milter::Manager::ConfigurationError) do
      load_configuration([File.join(@work_dir, "none")])
    end
    assert_equal("path milter-manager.conf doesn't exist in load path " +
                 "([\"#{@work_dir}/none\"])", error.message)
  end

  def test_load_missing_raises_with_location
    error = load_error("\nload(\"nothing.conf\")\n")
    assert_equal(["#{main_file}:2: nothing.conf doesn't exist.", main_file, 2],
                 [error.message, error.file, error.line])
  end

  def test_load_if_exist_missing_is_silent
    configuration = load_text("load_if_exist(\"nothing.conf\")\nmanager.n_workers = 3\n")
    assert_equal(3, configuration.manager.n_workers)
  end

  def test_load_if_exist_does_not_swallow_nested_missing
    write("outer.conf", "load(\"inner-missing.conf\")\n")
    error = load_error("load_if_exist(\"outer.conf\")\n")
    outer = File.join(@work_dir, "outer.conf")
    assert_equal("#{outer}:1: inner-missing.conf doesn't exist.", error.message)
  end

  def test_nested_load_locations_and_order
    write("a/1.conf", "manager.n_workers = 1\n")
    write("a/2.conf", "manager.n_workers = 2\nmanager.max_connections = 9\n")
    configuration = load_text("load(\"a/*.conf\")\nmanager.max_connections = 10\n")
    manager = configuration.manager
    assert_equal([2, [File.join(@work_dir, "a/2.conf"), 1], 10, [main_file, 2]],
                 [manager.n_workers, manager.location(:n_workers),
                  manager.max_connections, manager.location(:max_connections)])
  end

  def test_load_default_uses_platform
    write("defaults/testos.conf", "manager.n_workers = 5\n")
    configuration = load_text("package.platform = \"testos\"\nload_default\n")
    assert_equal(5, configuration.manager.n_workers)
    assert_equal(0, load_text("package.platform = \"other\"\nload_default\n").manager.n_workers)
    assert_equal(0, load_text("package.platform = nil\nload_default\n").manager.n_workers)
  end

  def test_recursive_load_is_an_error
    error = load_error("load(\"milter-manager.conf\")\n")
    assert_match(/load nested more than 32 levels/, error.message)
  end
end
