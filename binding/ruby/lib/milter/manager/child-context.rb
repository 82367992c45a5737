# ChildContext - one child of one session as a stopper sees it, the
# `context` of applicable-conditions.md §3.
#
# It wraps a native object that the engine's binding provides for the
# duration of one stopper call (binding/ruby/milter-manager-ruby-
# conditions.c: Milter::Manager::ChildContext::Native); tests give a
# fake with the same methods:
#   name, macro(NAME) -> String or nil, set_macro(NAME, VALUE),
#   status -> "accept", "reject", ... or nil, quitted?,
#   find(NAME) -> another native or nil, n_processing_sessions,
#   shelf_get(KEY) -> String or nil, shelf_set(KEY, String or nil),
#   shelf_keys -> [String]
# Using a context after its stopper returned raises
# Milter::Manager::ChildContext::Expired.
module Milter
  module Manager
    class ChildContext
      class Expired < StandardError
      end

      def initialize(native)
        @native = native
      end

      def name
        @native.name
      end

      # The session's id (the "[ID]" of its log lines), 0 when unknown.
      def session_id
        @native.respond_to?(:session_id) ? @native.session_id : 0
      end

      # context["auth_type"] or context["{auth_type}"]
      def [](name)
        @native.macro(name.to_s)
      end

      # Stored for the current stage; it goes to the child with the event.
      def []=(name, value)
        @native.set_macro(name.to_s, value.nil? ? nil : value.to_s)
      end

      def reject?
        @native.status == "reject"
      end

      def temporary_failure?
        @native.status == "temporary-failure"
      end

      def accept?
        @native.status == "accept"
      end

      def discard?
        @native.status == "discard"
      end

      def quitted?
        @native.quitted?
      end

      def postfix?
        version = self["v"]
        !version.nil? && version.match?(/\bpostfix\b/i)
      end

      def authenticated?
        !(self["auth_type"].nil? && self["auth_authen"].nil?)
      end

      def n_processing_sessions
        @native.n_processing_sessions
      end

      # children[NAME]: another child of this session (nil if unknown).
      def children
        @children ||= Children.new(@native)
      end

      def mail_transaction_shelf
        @mail_transaction_shelf ||= MailTransactionShelf.new(@native)
      end

      def inspect
        "#<#{self.class.name} #{name.inspect}>"
      end

      class Children
        def initialize(native)
          @native = native
        end

        def [](name)
          other = @native.find(name.to_s)
          other && ChildContext.new(other)
        end
      end

      # Shared by every child's conditions for the current mail
      # transaction; values are serialized, so any Ruby value is kept
      # (a copy is returned).
      class MailTransactionShelf
        include Enumerable

        def initialize(native)
          @native = native
        end

        def [](key)
          data = @native.shelf_get(key.to_s)
          data && Marshal.load(data)
        end

        def []=(key, value)
          @native.shelf_set(key.to_s, Marshal.dump(value))
        end

        def delete(key)
          value = self[key]
          @native.shelf_set(key.to_s, nil)
          value
        end

        def key?(key)
          !@native.shelf_get(key.to_s).nil?
        end

        def each
          return enum_for(:each) unless block_given?
          @native.shelf_keys.sort.each { |key| yield(key, self[key]) }
        end
      end
    end
  end
end
