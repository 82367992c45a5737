# RspamdProxy - the milter socket of rspamd: its proxy worker in milter
# mode (spec detection.md §8), read from the configuration rspamd itself
# reports ("rspamadm configdump --json"), since rspamd's own files are
# includes and overrides that only rspamd resolves.
#
#   RspamdProxy.spec_from_configdump(json_text) -> "inet:11332@localhost" or nil
#   RspamdProxy.bind_socket_spec("*:11332")     -> "inet:11332@localhost"
#   RspamdProxy.configdump(program)             -> the JSON text or nil
# No proxy worker with milter on is "not found" (the original raised
# there and lost every later candidate: its issue #128).
require "json"

module Milter
  module Manager
    module RspamdProxy
      module_function

      TIMEOUT = 10.0

      def spec_from_configdump(text)
        dump = JSON.parse(text)
        workers = dump.is_a?(Hash) ? dump["worker"] : nil
        workers = [workers] if workers.is_a?(Hash)
        Array(workers).each do |worker|
          next unless worker.is_a?(Hash)
          proxy = worker["rspamd_proxy"]
          proxy = proxy.first if proxy.is_a?(Array)
          next unless proxy.is_a?(Hash) && [true, "yes", "true"].include?(proxy["milter"])
          bind = Array(proxy["bind_socket"]).first
          return bind && bind_socket_spec(bind.to_s)
        end
        nil
      rescue JSON::ParserError, EncodingError
        nil
      end

      # rspamd's bind_socket forms: "/path mode=0660 owner=...", "*:PORT",
      # "HOST:PORT", "[ADDR]:PORT".
      def bind_socket_spec(bind)
        bind = bind.strip
        return "unix:#{bind.split(/[\s,]/).first}" if bind.start_with?("/")
        if (match = /\A\[([^\]]+)\]:(\d+)\z/.match(bind))
          return "inet6:#{match[2]}@[#{match[1]}]"
        end
        match = /\A(.+):(\d+)\z/.match(bind)
        return nil unless match
        host = match[1] == "*" ? "localhost" : match[1]
        "inet:#{match[2]}@#{host}"
      end

      # Runs program configdump --json; its standard output, or nil when
      # it cannot be run, fails, or takes longer than timeout seconds
      # (then it is killed: loading the configuration must not hang).
      # The child is reaped by polling waitpid(WNOHANG): a blocking wait
      # never returns in the daemon's embedded interpreter, which has no
      # SIGCHLD handler to wake it.
      def configdump(program, timeout: TIMEOUT)
        return nil unless File.executable?(program)
        deadline = now + timeout
        reader, writer = IO.pipe
        pid = Process.spawn(program, "configdump", "--json",
                            in: File::NULL, out: writer, err: File::NULL)
        writer.close
        output = read_until(reader, deadline)
        status = reap(pid, deadline)
        output && status&.success? ? output : nil
      rescue SystemCallError, IOError
        nil
      ensure
        reader&.close unless reader&.closed?
        writer&.close unless writer&.closed?
      end

      def now
        Process.clock_gettime(Process::CLOCK_MONOTONIC)
      end

      # Everything until end of file, or nil at the deadline.
      def read_until(reader, deadline)
        output = +""
        loop do
          left = deadline - now
          return nil if left <= 0 || !IO.select([reader], nil, nil, left)
          chunk = reader.read_nonblock(65_536, exception: false)
          return output if chunk.nil?
          output << chunk unless chunk == :wait_readable
        end
      end

      # The exit status, or nil when pid was still running at the
      # deadline (it is killed and reaped then).
      def reap(pid, deadline)
        loop do
          _, status = Process.waitpid2(pid, Process::WNOHANG)
          return status if status
          break if now >= deadline
          sleep(0.005)
        end
        Process.kill(:KILL, pid)
        give_up = now + 2
        loop do
          _, status = Process.waitpid2(pid, Process::WNOHANG)
          return nil if status || now >= give_up
          sleep(0.005)
        end
      end
    end
  end
end
