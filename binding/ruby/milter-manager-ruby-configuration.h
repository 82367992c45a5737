/*
 * milter-manager-ruby-configuration - load milter-manager.conf with the
 * embedded Ruby interpreter
 *
 * SYNOPSIS
 *   if (!milter_manager_ruby_init (&error)) ...
 *   g_auto (GStrv) path = milter_manager_ruby_configuration_default_load_path (config_dir);
 *   MilterManagerRubyConfiguration *configuration =
 *     milter_manager_ruby_configuration_load ((const gchar *const *) path,
 *                                             &file, &line, &error);
 *   milter_manager_ruby_configuration_override (configuration, overrides, &error);
 *   gchar *text = milter_manager_ruby_configuration_dump (configuration, &error);
 *   GVariant *model = milter_manager_ruby_configuration_to_variant (configuration, &error);
 *   milter_manager_ruby_configuration_add_conditions (configuration, engine, &error);
 *   milter_manager_ruby_configuration_free (configuration);
 *   milter_manager_ruby_configuration_clear (&error);   before each load
 *
 * DESCRIPTION
 *   milter_manager_ruby_init starts the interpreter once per process (it
 *   must be called, and every other function used, from the main thread)
 *   and requires the Ruby library "milter/manager" from the directories
 *   in $MILTER_MANAGER_RUBYLIB (colon-separated; the source tree when
 *   uninstalled) and then the installed directory. Signal dispositions
 *   are restored after the interpreter starts, so the daemon keeps its
 *   own handlers. Ruby log lines go to the shared logger (milter/core).
 *
 *   A load builds a new configuration model from the first
 *   milter-manager.conf in the load path (then milter-manager.custom.conf
 *   if it is XML); a failed load returns NULL and leaves nothing behind,
 *   so a reload can keep the previous model. Ruby runs only inside these
 *   calls (start-up and reload), and in sessions for the stoppers of the
 *   applicable conditions add_conditions() gave the engine; every call is made under rb_protect, so
 *   a Ruby exception becomes a GError, never a crash.
 *
 *   to_variant gives the model as plain data, an a{sv} with one a{sv}
 *   per section ("package", "security", "log", "manager", "controller",
 *   "database": item name -> value), "applicable_conditions" (aa{sv}:
 *   name, description, stages), "milters" (aa{sv} in list order: name,
 *   every define_milter item, applicable_conditions as), plus
 *   "connection_checkers" (as) and "report_memory_statistics" (b).
 *   Values: nil -> "mv" (maybe, Nothing), strings "s", integers "x",
 *   floats "d", booleans "b", arrays "av", hashes "a{sv}". This is the
 *   entry point for copying the model into the C configuration and eggs.
 *
 *   free disposes of the model: what it holds outside itself (the
 *   database connection of database.setup) is released.
 *
 * DIAGNOSTICS
 *   [configuration][clear][custom][error] MESSAGE: the Ruby side of a
 *   clear or a dispose failed; [configuration][dispose][clear][error]
 *   MESSAGE: a dispose failed (free goes on).
 *   MILTER_MANAGER_RUBY_ERROR: INIT (interpreter or library could not be
 *   started), CONFIGURATION (the files are wrong; the message starts with
 *   "FILE:LINE: " when the place is known, and file/line are returned
 *   too), RUBY (an unexpected Ruby exception, with its backtrace).
 */
#pragma once

#include <glib.h>

#include <milter/manager/milter-manager-configuration.h>

G_BEGIN_DECLS

#define MILTER_MANAGER_RUBY_ERROR (milter_manager_ruby_error_quark ())
GQuark milter_manager_ruby_error_quark (void);

typedef enum {
  MILTER_MANAGER_RUBY_ERROR_INIT,
  MILTER_MANAGER_RUBY_ERROR_CONFIGURATION,
  MILTER_MANAGER_RUBY_ERROR_RUBY
} MilterManagerRubyError;

typedef struct _MilterManagerRubyConfiguration MilterManagerRubyConfiguration;

gboolean milter_manager_ruby_init (GError **error);

/* The load path: config_dir (--config-dir, may be NULL), env_dir
 * ($MILTER_MANAGER_CONFIG_DIR, may be NULL or empty), builtin_dir. */
gchar **milter_manager_ruby_configuration_build_load_path (const gchar *config_dir,
                                                           const gchar *env_dir,
                                                           const gchar *builtin_dir);
/* The same with $MILTER_MANAGER_CONFIG_DIR and <sysconfdir>/milter-manager. */
gchar **milter_manager_ruby_configuration_default_load_path (const gchar *config_dir);

/* Before a load: the Ruby-wide state of the previous load is reset
 * (embedded.rb). A failure is logged as
 * [configuration][clear][custom][error]; the caller logs its own row. */
gboolean milter_manager_ruby_configuration_clear (GError **error);

/* error_file (free it) and error_line may be NULL; they are set only
 * when a CONFIGURATION error names a file. */
MilterManagerRubyConfiguration *
milter_manager_ruby_configuration_load (const gchar *const *directories,
                                        gchar **error_file,
                                        guint *error_line,
                                        GError **error);
/* Sets items as the command line does: overrides is an a{sv} of
 * "section.item" -> value (s, x, b, or "mv" Nothing for nil), each
 * checked like an assignment and shown by dump() under "# default". */
gboolean milter_manager_ruby_configuration_override (MilterManagerRubyConfiguration *configuration,
                                                     GVariant *overrides,
                                                     GError **error);
typedef enum {
  MILTER_MANAGER_RUBY_HOOKS_MAINTAINED,        /* manager.maintained */
  MILTER_MANAGER_RUBY_HOOKS_EVENT_LOOP_CREATED /* manager.event_loop_created (loop: nil) */
} MilterManagerRubyHooks;
/* Runs those hooks of the configuration; every one runs even when one
 * raises. Returns the failures' messages (with backtraces), an empty
 * list when all went well, NULL on error. */
gchar **milter_manager_ruby_configuration_run_hooks (MilterManagerRubyConfiguration *configuration,
                                                     MilterManagerRubyHooks hooks,
                                                     GError **error);
gchar *milter_manager_ruby_configuration_dump (MilterManagerRubyConfiguration *configuration,
                                               GError **error);
GVariant *milter_manager_ruby_configuration_to_variant (MilterManagerRubyConfiguration *configuration,
                                                        GError **error);
void milter_manager_ruby_configuration_free (MilterManagerRubyConfiguration *configuration);
/* Adds the configuration's applicable conditions that have stoppers to
 * engine (milter-manager-ruby-conditions.c): their stoppers then run in
 * engine's sessions, in this thread (the main one). */
/* From now on Ruby stoppers run off loop, which runs them through a pool
 * of Ruby threads while it waits (milter-manager-ruby-stopper-jobs.c);
 * NULL: they run at once again. The thread that runs loop must be the
 * one that started Ruby. */
void milter_manager_ruby_conditions_run_on (MilterEventLoop *loop);
gboolean milter_manager_ruby_configuration_add_conditions (MilterManagerRubyConfiguration *configuration,
                                                           MilterManagerConfiguration *engine,
                                                           GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterManagerRubyConfiguration,
                               milter_manager_ruby_configuration_free)

G_END_DECLS
