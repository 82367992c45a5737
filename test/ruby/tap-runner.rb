# tap-runner - a test-unit runner that prints TAP (one line per test),
# so the Ruby tests run under automake's TAP driver like the others.
require "test/unit"
require "test/unit/ui/testrunner"
require "test/unit/ui/testrunnermediator"

module MilterManagerTest
  class TapRunner < Test::Unit::UI::TestRunner
    def initialize(suite, options = {})
      super
      @n = 0
      @faults = []
    end

    private

    def attach_to_mediator
      @mediator.add_listener(Test::Unit::TestResult::FAULT) { |fault| @faults << fault }
      @mediator.add_listener(Test::Unit::TestCase::STARTED_OBJECT) { |_test| @faults = [] }
      @mediator.add_listener(Test::Unit::TestCase::FINISHED_OBJECT) { |test| finished(test) }
      @mediator.add_listener(Test::Unit::UI::TestRunnerMediator::FINISHED) do |_elapsed|
        puts "1..#{@n}"
      end
    end

    def finished(test)
      @n += 1
      failures = @faults.reject { |fault| fault.is_a?(Test::Unit::Omission) || fault.is_a?(Test::Unit::Pending) }
      if failures.empty?
        skip = @faults.empty? ? "" : " # SKIP #{@faults.first.message}"
        puts "ok #{@n} - #{test.name}#{skip}"
      else
        puts "not ok #{@n} - #{test.name}"
        failures.each do |fault|
          fault.long_display.each_line { |line| puts "# #{line.chomp}" }
        end
      end
      $stdout.flush
    end
  end
end

Test::Unit::AutoRunner.register_runner(:tap) do |_auto_runner|
  MilterManagerTest::TapRunner
end
