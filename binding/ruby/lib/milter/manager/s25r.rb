# S25R - the `s25r` helper of the "S25R" condition (Selective SMTP
# Rejection): a child runs only for clients whose host name looks like
# an end-user or dynamically addressed host.
#
# S25R.stop?(host, ipv4, ...) is the whole decision, a pure function;
# the helper object only holds the lists the configuration edits:
#   s25r.add_whitelist(/\.example\.com\z/)   s25r.add_whitelist { |host| ... }
#   s25r.add_blacklist("unknown")            s25r.only_check_ipv4 = false
# The original documented the setter as check_only_ipv4= but defined
# only only_check_ipv4=; both spellings are accepted here.
module Milter
  module Manager
    class S25R
      # Mail services whose outgoing hosts have names the rules below
      # would flag.
      DEFAULT_WHITELIST = [
        /\.google\.com\z/,
        /\.obsmtp\.com\z/,
        /\.smtp-out\.amazonses\.com\z/,
        /\.slack\.com\z/,
        /\.mg\.gitlab\.com\z/,
        /\.sendgrid\.net\z/,
      ].freeze

      DEFAULT_BLACKLIST = [
        # what an MTA reports when the client's name cannot be resolved
        "unknown",
        /\A\[.+\]\z/,
        # the S25R rules
        /\A[^.]*\d[^\d.]+\d.*\./,
        /\A[^.]*\d{5}/,
        /\A(?:[^.]+\.)?\d[^.]*\.[^.]+\..+\.[a-z]/i,
        /\A[^.]*\d\.[^.]*\d-\d/,
        /\A[^.]*\d\.[^.]*\d\.[^.]+\..+\./,
        /\A(?:dhcp|dialup|ppp|[achrsvx]?dsl)[^.]*\d/i,
      ].freeze

      attr_reader :whitelist, :blacklist

      def initialize
        @whitelist = MatcherList.new(DEFAULT_WHITELIST)
        @blacklist = MatcherList.new(DEFAULT_BLACKLIST)
        @only_check_ipv4 = true
      end

      def add_whitelist(matcher = nil, &block)
        @whitelist.add(matcher, &block)
      end

      def add_blacklist(matcher = nil, &block)
        @blacklist.add(matcher, &block)
      end

      def only_check_ipv4=(value)
        @only_check_ipv4 = ValueRules.boolean("s25r.only_check_ipv4", value)
      end
      alias_method :check_only_ipv4=, :only_check_ipv4=

      def only_check_ipv4?
        @only_check_ipv4
      end
      alias_method :check_only_ipv4?, :only_check_ipv4?

      # The connect stopper's answer for a client.
      # The engine's native form (milter-manager-builtin-conditions.h), or
      # nil when a list holds a block.
      def to_native
        whitelist = @whitelist.to_native
        blacklist = @blacklist.to_native
        return nil unless whitelist && blacklist
        { "kind" => "s25r", "whitelist" => whitelist, "blacklist" => blacklist,
          "only_check_ipv4" => @only_check_ipv4 }
      end

      def stop?(host, socket_address)
        S25R.stop?(host, socket_address.ipv4?, whitelist: @whitelist,
                   blacklist: @blacklist, only_check_ipv4: @only_check_ipv4)
      end

      # true: the child does not take part (the client looks static or
      # is not checked); false: it looks dynamic, the child is applied.
      # The whitelist wins over the blacklist.
      def self.stop?(host, ipv4, whitelist:, blacklist:, only_check_ipv4: true)
        return true if only_check_ipv4 && !ipv4
        return true if whitelist.match?(host)
        !blacklist.match?(host)
      end
    end
  end
end
