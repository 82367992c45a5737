# StopperPool - the Ruby threads that run stopper calls off the event
# loop (binding/ruby/milter-manager-ruby-stopper-jobs.c), so that a slow
# stopper holds only its own child of its own session.
#
# The loop's thread releases Ruby's global lock only while it waits, so a
# pool thread runs between two iterations of the loop and the engine's
# state it reads through its context does not change under it. A thread
# is added whenever every thread is busy, up to MAX_THREADS; beyond that
# calls wait in the queue. The pool belongs to the process that made it:
# a child forked by Ruby makes its own.
module Milter
  module Manager
    class StopperPool
      MAX_THREADS = 64

      class << self
        def instance
          @instance = nil if @instance && !@instance.current?
          @instance ||= new
        end
      end

      def initialize
        @pid = Process.pid
        @queue = Queue.new
        @threads = []
        @queued = 0
      end

      def current?
        @pid == Process.pid
      end

      def size
        @threads.size
      end

      # call: [job, conditions, stage, native, arguments]; job.finish(INDEX
      # or nil) gives the answer back to the loop.
      def push(call)
        @queued += 1
        spawn if @queued > @threads.size && @threads.size < MAX_THREADS
        @queue.push(call)
      end

      private

      def spawn
        thread = Thread.new { work }
        thread.report_on_exception = false
        thread.name = "stopper-#{@threads.size}" if thread.respond_to?(:name=)
        @threads << thread
      end

      def work
        loop do
          job, conditions, stage, native, arguments = @queue.pop
          index = nil
          begin
            index = Embedded.stop_first(conditions, stage, native, arguments)
          rescue Exception => error # the pool must outlive any stopper
            raise if error.is_a?(NoMemoryError)
            Log.error("[applicable-condition][stopper][error] " \
                      "#{error.message} (#{error.class})")
          ensure
            @queued -= 1
            job.finish(index)
          end
        end
      end
    end
  end
end
