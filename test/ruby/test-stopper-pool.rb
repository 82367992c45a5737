# StopperPool: the Ruby threads that run stopper calls off the event
# loop. A slow call holds only its own thread (the others' calls are
# answered meanwhile), a stopper that raises still answers, and a forked
# process gets a pool of its own.
require "helper"
require "timeout"

class TestStopperPool < Test::Unit::TestCase
  include ConfigurationTestHelper

  setup :setup_work_dir
  teardown :teardown_work_dir

  # What the C side's job is to the pool: finish(INDEX or nil) once.
  class Job
    attr_reader :index, :finished_at

    def initialize(queue)
      @queue = queue
    end

    def finish(index)
      @index = index
      @finished_at = Process.clock_gettime(Process::CLOCK_MONOTONIC)
      @queue.push(self)
    end
  end

  class Native
    def name
      "a"
    end
  end

  def conditions(text)
    configuration = load_text(text)
    Milter::Manager::Embedded.conditions(configuration).map { |entry| entry[2] }
  end

  def run_calls(pool, calls)
    done = Queue.new
    jobs = calls.map do |definitions, fqdn|
      job = Job.new(done)
      pool.push([job, definitions, :helo, Native.new, [fqdn]])
      job
    end
    Timeout.timeout(10) { jobs.size.times { done.pop } }
    jobs
  end

  def test_a_slow_call_does_not_hold_the_others
    pool = Milter::Manager::StopperPool.new
    slow, quick = conditions(<<~CONF)
      define_applicable_condition("Slow") { |c| c.define_helo_stopper { |context, fqdn| sleep 0.5; false } }
      define_applicable_condition("Quick") { |c| c.define_helo_stopper { |context, fqdn| fqdn == "stop.example" } }
    CONF
    start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    jobs = run_calls(pool, [[[slow], "a.example"], [[quick], "stop.example"],
                            [[quick], "go.example"]])
    assert_equal([nil, 0, nil], jobs.map(&:index))
    assert_operator(jobs[1].finished_at - start, :<, 0.3)
    assert_operator(jobs[2].finished_at - start, :<, 0.3)
    assert_operator(jobs[0].finished_at - start, :>=, 0.5)
    assert_equal(3, pool.size)
  end

  def test_the_index_of_the_first_that_stops
    pool = Milter::Manager::StopperPool.new
    definitions = conditions(<<~CONF)
      define_applicable_condition("No") { |c| c.define_helo_stopper { |context, fqdn| false } }
      define_applicable_condition("Yes") { |c| c.define_helo_stopper { |context, fqdn| true } }
    CONF
    assert_equal([1], run_calls(pool, [[definitions, "x"]]).map(&:index))
  end

  def test_a_stopper_that_raises_still_answers
    pool = Milter::Manager::StopperPool.new
    lines = []
    Milter::Manager::Log.sink = ->(level, message) { lines << [level, message] }
    definitions = conditions(<<~CONF)
      define_applicable_condition("Broken") { |c| c.define_helo_stopper { |context, fqdn| raise "broken" } }
    CONF
    assert_equal([nil], run_calls(pool, [[definitions, "x"]]).map(&:index))
    assert(lines.any? { |level, message| level == :error && message.include?("Broken: helo: broken") },
           lines.inspect)
  ensure
    Milter::Manager::Log.sink = nil
  end

  def test_threads_are_reused_when_idle
    pool = Milter::Manager::StopperPool.new
    definitions = conditions('define_applicable_condition("No") { |c| c.define_helo_stopper { |*| false } }')
    5.times { run_calls(pool, [[definitions, "x"]]) }
    assert_equal(1, pool.size)
  end

  def test_a_forked_process_gets_its_own_pool
    parent = Milter::Manager::StopperPool.instance
    reader, writer = IO.pipe
    pid = fork do
      reader.close
      child = Milter::Manager::StopperPool.instance
      writer.write(child.equal?(parent) ? "same" : "own")
      writer.close
      exit!(0)
    end
    writer.close
    Process.wait(pid)
    assert_equal("own", reader.read)
    assert_same(parent, Milter::Manager::StopperPool.instance)
  end
end
