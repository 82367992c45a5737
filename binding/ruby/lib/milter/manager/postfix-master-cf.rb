# PostfixMasterCf - how many smtpd processes Postfix runs at most, read
# from its master.cf (the figure the stress threshold is derived from).
#
# PostfixMasterCf.smtpd_process_limit(TEXT, DEFAULT_PROCESS_LIMIT) is a
# pure function over the file's text:
# - service lines: "service type private unpriv chroot wakeup maxproc
#   command..."; "#" lines and blank lines are comments; a line starting
#   with white space continues the previous one (its -o options);
# - the service that receives SMTP is the smtpd one listening on the
#   smtp port ("smtp inet ... smtpd", also "ADDR:smtp" or "25"), or, when
#   postscreen owns that port, the smtpd it hands connections to
#   ("smtpd pass ... smtpd"); the first such line counts;
# - maxproc "-" means default_process_limit; "0" means no limit.
# -> the limit (Integer, 0 for no limit), or nil when no line matches.
# (The original took the first "smtp" line whatever its command, which
# with postscreen is postscreen's own single process.)
module Milter
  module Manager
    module PostfixMasterCf
      module_function

      # -> [[service, type, maxproc, command], ...]
      def services(text)
        lines = []
        text.each_line do |line|
          next if line.start_with?("#") || line.strip.empty?
          if line.match?(/\A\s/)
            lines[-1] += " #{line.strip}" unless lines.empty?
          else
            lines << line.strip
          end
        end
        lines.map do |line|
          fields = line.split
          [fields[0], fields[1], fields[6], fields[7]]
        end
      end

      def smtpd_process_limit(text, default_process_limit)
        service = services(text).find { |entry| smtp_receiver?(*entry) }
        return nil unless service
        maxproc = service[2]
        return Integer(default_process_limit) if maxproc == "-"
        Integer(maxproc, 10)
      rescue ArgumentError, TypeError
        nil
      end

      def smtp_receiver?(service, type, _maxproc, command)
        return false unless command == "smtpd"
        return true if type == "pass"
        type == "inet" && ["smtp", "25"].include?(service.split(":").last)
      end
    end
  end
end
