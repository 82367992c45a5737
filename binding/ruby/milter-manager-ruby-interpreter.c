/*
 * milter-manager-ruby-interpreter - the embedded Ruby interpreter: start
 * it once, call into it safely, bridge its log lines to our logger.
 *
 * Ruby's own start-up installs handlers for SIGINT, SIGTERM, SIGHUP,
 * SIGUSR1 ... and would turn them into Ruby exceptions; the daemon runs
 * Ruby only while loading a configuration and owns its signals, so the
 * previous dispositions are put back after ruby_setup().
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "binding/ruby/milter-manager-ruby-configuration.h"
#include "binding/ruby/milter-manager-ruby-private.h"
#include "milter/core/milter-logger.h"

G_DEFINE_QUARK (milter-manager-ruby-error-quark, milter_manager_ruby_error)

static gboolean ruby_started = FALSE;
static VALUE embedded_module = Qnil;

static const int saved_signals[] = {
  SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGALRM, SIGPIPE, SIGCHLD
};

VALUE
milter_manager_ruby_embedded_module (void)
{
  return embedded_module;
}

typedef struct {
  VALUE receiver;
  ID method;
  int n_args;
  VALUE *args;
} Call;

static VALUE
call_body (VALUE data)
{
  Call *call = (Call *) data;
  return rb_funcallv (call->receiver, call->method, call->n_args, call->args);
}

static VALUE
describe_exception (VALUE exception)
{
  VALUE text = rb_funcall (exception, rb_intern ("message"), 0);
  VALUE backtrace = rb_funcall (exception, rb_intern ("backtrace"), 0);
  VALUE description = rb_str_dup (rb_String (text));
  rb_str_cat_cstr (description, " (");
  rb_str_append (description, rb_class_name (rb_obj_class (exception)));
  rb_str_cat_cstr (description, ")");
  if (RB_TYPE_P (backtrace, T_ARRAY)) {
    for (long i = 0; i < RARRAY_LEN (backtrace); i++) {
      rb_str_cat_cstr (description, "\n  ");
      rb_str_append (description, rb_String (rb_ary_entry (backtrace, i)));
    }
  }
  return description;
}

gboolean
milter_manager_ruby_call (VALUE receiver,
                          const gchar *method,
                          VALUE *result,
                          GError **error,
                          int n_args,
                          ...)
{
  VALUE args[8];
  va_list list;
  int state = 0;

  g_return_val_if_fail (n_args <= (int) G_N_ELEMENTS (args), FALSE);
  va_start (list, n_args);
  for (int i = 0; i < n_args; i++)
    args[i] = va_arg (list, VALUE);
  va_end (list);

  Call call = { receiver, rb_intern (method), n_args, args };
  VALUE value = rb_protect (call_body, (VALUE) &call, &state);
  if (state == 0) {
    if (result)
      *result = value;
    return TRUE;
  }

  VALUE exception = rb_errinfo ();
  rb_set_errinfo (Qnil);
  VALUE description = Qnil;
  if (!NIL_P (exception)) {
    description = rb_protect (describe_exception, exception, &state);
    if (state != 0) {
      rb_set_errinfo (Qnil);
      description = Qnil;
    }
  }
  g_set_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_RUBY,
               "Ruby error in %s: %.*s", method,
               NIL_P (description) ? 7 : (int) RSTRING_LEN (description),
               NIL_P (description) ? "unknown" : RSTRING_PTR (description));
  return FALSE;
}

/* Milter::Manager::Log.native_log(LEVEL_NAME, MESSAGE[, SESSION_ID]) */
static VALUE
native_log (int argc, VALUE *argv, VALUE self)
{
  VALUE level_name, message, session_id;
  MilterLogLevelFlags level;
  const gchar *name;

  (void) self;
  rb_check_arity (argc, 2, 3);
  level_name = argv[0];
  message = argv[1];
  session_id = argc > 2 ? argv[2] : Qnil;
  name = StringValueCStr (level_name);
  if (!milter_log_level_parse (name, &level, NULL) || level == 0)
    level = MILTER_LOG_LEVEL_WARNING;
  if (milter_log_is_enabled (level))
    milter_logger_log (level, NIL_P (session_id) ? 0 : NUM2ULL (session_id),
                       "%.*s", (int) RSTRING_LEN (message),
                       StringValuePtr (message));
  return Qnil;
}

static VALUE
require_library (VALUE name)
{
  return rb_require (StringValueCStr (name));
}

static gboolean
require (const gchar *name, GError **error)
{
  int state = 0;
  rb_protect (require_library, rb_str_new_cstr (name), &state);
  if (state == 0)
    return TRUE;
  VALUE exception = rb_errinfo ();
  rb_set_errinfo (Qnil);
  VALUE text = NIL_P (exception) ? Qnil :
    rb_protect (describe_exception, exception, &state);
  if (state != 0) {
    rb_set_errinfo (Qnil);
    text = Qnil;
  }
  g_set_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_INIT,
               "cannot load the Ruby library %s: %s", name,
               NIL_P (text) ? "unknown error" : StringValueCStr (text));
  return FALSE;
}

/* $MILTER_MANAGER_RUBYLIB entries first, then the installed directory. */
static void
set_library_path (void)
{
  VALUE load_path = rb_gv_get ("$LOAD_PATH");
  rb_ary_unshift (load_path, rb_str_new_cstr (MILTER_MANAGER_RUBY_LIB_DIR));
  const gchar *extra = g_getenv ("MILTER_MANAGER_RUBYLIB");
  if (extra && *extra) {
    g_auto (GStrv) directories = g_strsplit (extra, G_SEARCHPATH_SEPARATOR_S, -1);
    for (gint i = (gint) g_strv_length (directories) - 1; i >= 0; i--) {
      if (*directories[i])
        rb_ary_unshift (load_path, rb_str_new_cstr (directories[i]));
    }
  }
}

gboolean
milter_manager_ruby_init (GError **error)
{
  struct sigaction saved[G_N_ELEMENTS (saved_signals)];

  if (!NIL_P (embedded_module))
    return TRUE;

  if (!ruby_started) {
    /* ruby_options runs the parts of start-up ruby_setup leaves out: the
     * Ruby-written core methods (Kernel#class ...) and rubygems, which
     * puts the bundled gems (rexml) on the load path. The "-e" program
     * is compiled, never run. */
    static char *options[] = { (char *) "milter-manager", (char *) "--disable=rubyopt",
                               (char *) "-e", (char *) "", NULL };
    for (gsize i = 0; i < G_N_ELEMENTS (saved_signals); i++)
      sigaction (saved_signals[i], NULL, &saved[i]);
    int status = ruby_setup ();
    if (status == 0)
      ruby_options ((int) G_N_ELEMENTS (options) - 1, options);
    for (gsize i = 0; i < G_N_ELEMENTS (saved_signals); i++)
      sigaction (saved_signals[i], &saved[i], NULL);
    if (status != 0) {
      g_set_error (error, MILTER_MANAGER_RUBY_ERROR, MILTER_MANAGER_RUBY_ERROR_INIT,
                   "cannot start the Ruby interpreter (ruby_setup: %d)", status);
      return FALSE;
    }
    ruby_started = TRUE;
    ruby_script ("milter-manager");
    set_library_path ();
    rb_gc_register_address (&embedded_module);
  }
  if (!require ("milter/manager", error))
    return FALSE;

  VALUE milter = rb_const_get (rb_cObject, rb_intern ("Milter"));
  VALUE manager = rb_const_get (milter, rb_intern ("Manager"));
  VALUE log = rb_const_get (manager, rb_intern ("Log"));
  rb_define_singleton_method (log, "native_log", native_log, -1);
  embedded_module = rb_const_get (manager, rb_intern ("Embedded"));
  return TRUE;
}
