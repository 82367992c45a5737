# builtin-conditions - the cost of one call of each built-in condition's
# stopper as the bundled configuration defines it (the Ruby side only:
# no engine, a fake context from test/ruby). Prints microseconds per call.
#   ruby -I binding/ruby/lib -I _build/binding/ruby/lib -I test/ruby \
#     benchmark/builtin-conditions.rb [N]
require "milter/manager"
require "fake-condition-context"

Milter::Manager::Log.sink = ->(_level, _message) {}
N = Integer(ARGV[0] || 200_000)
conf = File.expand_path("../conf", __dir__)
configuration = Milter::Manager::ConfigurationLoader.load([conf])
stopper = ->(name, stage) { configuration.find_applicable_condition(name).stoppers[stage].first }

v4 = FakeSocketAddress.ipv4("192.0.2.1")
v6 = FakeSocketAddress.ipv6("2001:db8::1")
connect = FakeConditionContext.new.enter(:connect, "v" => "Postfix 3.7.11", "daemon_addr" => "192.0.2.10",
                                         "daemon_port" => "25", "if_name" => "mx")
from = FakeConditionContext.new.enter(:envelope_from, "auth_type" => "PLAIN")
stress = configuration.find_applicable_condition("No Stress").stoppers[:connect].first.binding.receiver.stress
stress.threshold_n_connections = 75

cases = [
  ["S25R, static name (all rules tried)", stopper["S25R", :connect], [connect, "mail.example.com", v4]],
  ["S25R, dynamic name", stopper["S25R", :connect], [connect, "p1234-ipad56.example.ne.jp", v4]],
  ["S25R, IPv6 (not checked)", stopper["S25R", :connect], [connect, "mail.example.com", v6]],
  ["Remote Network, public IPv4", stopper["Remote Network", :connect], [connect, "h", v4]],
  ["Remote Network, IPv6", stopper["Remote Network", :connect], [connect, "h", v6]],
  ["Authenticated", stopper["Authenticated", :envelope_from], [from, "<a@example.com>"]],
  ["Trust, trusted", stopper["Trust", :envelope_from], [from, "<a@gmail.com>"]],
  ["Trust, untrusted", stopper["Trust", :envelope_from], [from, "<a@example.com>"]],
  ["No Stress", stopper["No Stress", :connect], [connect, "h", v4]],
  ["Sendmail Compatible, connect", stopper["Sendmail Compatible", :connect], [connect, "h", v4]],
]
cases.each do |label, block, arguments|
  block.call(*arguments)
  started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
  N.times { block.call(*arguments) }
  elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  printf("%-40s %6.2f us/call\n", label, elapsed / N * 1e6)
end
