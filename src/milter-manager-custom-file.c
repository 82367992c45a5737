/*
 * milter-manager-custom-file - milter-manager.custom.conf, the XML file
 * the controller's set-configuration writes (controller.md §3, §5.2)
 *
 * DESCRIPTION
 *   find: the file a load reads, as the Ruby loader looks it up: the
 *   first load-path directory holding it, else the custom configuration
 *   directory (manager.custom_configuration_directory, else
 *   ~EFFECTIVE_USER/.milter-manager).
 *
 *   save: the document is checked first (§7 #5): it must be XML (its
 *   first line starts with "<", or a load would ignore it), and the whole
 *   configuration must load with it, by the same loader a reload uses;
 *   for that it is written to a private temporary directory put first in
 *   the load path. It may not bring a milter a new command (controller.md
 *   §7 #6, milter-manager-custom-commands.h). Then it is saved to the first of the load-path
 *   directories (then the custom configuration directory) that takes it,
 *   atomically (temporary file + rename, so a reload never reads half a
 *   file). A directory that refuses it while holding a custom file of its
 *   own stops the search: a file saved further on would be shadowed by
 *   that one. Nothing is reloaded: the reply says to.
 *
 * DIAGNOSTICS
 *   MILTER_MANAGER_DAEMON_ERROR_INVALID_CUSTOM "invalid custom
 *   configuration: WHY"; MILTER_MANAGER_DAEMON_ERROR_SAVE "failed to save
 *   custom configuration file: can't find writable custom configuration
 *   file in ["PATH"(REASON), ...]" (the original's text).
 */
#include "config.h"

#include <pwd.h>
#include <string.h>

#include <glib/gstdio.h>

#include <milter/manager/milter-manager-custom-commands.h>
#include "src/milter-manager-daemon.h"

#define CUSTOM_FILE "milter-manager.custom.conf"

G_DEFINE_QUARK (milter-manager-daemon-error-quark, milter_manager_daemon_error)

static gchar *
custom_directory (MilterManagerDaemon *daemon)
{
  const MilterManagerDaemonSettings *settings = daemon->settings;

  if (!settings)
    return NULL;
  if (settings->custom_configuration_directory)
    return g_strdup (settings->custom_configuration_directory);
  if (!settings->effective_user)
    return NULL;
  struct passwd *entry = getpwnam (settings->effective_user);
  return entry ? g_build_filename (entry->pw_dir, ".milter-manager", NULL) : NULL;
}

/* The directories a save tries, in order. */
static GPtrArray *
save_directories (MilterManagerDaemon *daemon)
{
  GPtrArray *directories = g_ptr_array_new_with_free_func (g_free);
  g_autofree gchar *custom = custom_directory (daemon);

  for (guint i = 0; daemon->load_path && daemon->load_path[i]; i++)
    g_ptr_array_add (directories, g_strdup (daemon->load_path[i]));
  if (custom && !g_strv_contains ((const gchar *const *) daemon->load_path, custom))
    g_ptr_array_add (directories, g_steal_pointer (&custom));
  return directories;
}

gchar *
milter_manager_daemon_find_custom_file (MilterManagerDaemon *daemon)
{
  g_autoptr (GPtrArray) directories = save_directories (daemon);

  for (guint i = 0; i < directories->len; i++) {
    g_autofree gchar *path = g_build_filename (directories->pdata[i], CUSTOM_FILE, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
      return g_steal_pointer (&path);
  }
  return NULL;
}

static gchar *
replace_all (const gchar *text, const gchar *old, const gchar *new)
{
  g_auto (GStrv) parts = g_strsplit (text, old, -1);
  return g_strjoinv (new, parts);
}

/* Loads the configuration with content as its custom file. */
static gboolean
check (MilterManagerDaemon *daemon, const gchar *content, gsize size, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  MilterManagerLoaded loaded;

  if (size == 0 || content[0] != '<') {
    g_set_error (error, MILTER_MANAGER_DAEMON_ERROR, MILTER_MANAGER_DAEMON_ERROR_INVALID_CUSTOM,
                 "invalid custom configuration: not XML (it must start with '<')");
    return FALSE;
  }
  g_autofree gchar *directory = g_dir_make_tmp ("milter-manager-custom-XXXXXX", &local_error);
  if (!directory) {
    g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                "cannot check the custom configuration: ");
    return FALSE;
  }
  g_autofree gchar *path = g_build_filename (directory, CUSTOM_FILE, NULL);
  gboolean ok = g_file_set_contents (path, content, (gssize) size, &local_error);
  if (ok) {
    g_autoptr (GPtrArray) load_path = g_ptr_array_new ();
    g_ptr_array_add (load_path, directory);
    for (guint i = 0; daemon->load_path && daemon->load_path[i]; i++)
      g_ptr_array_add (load_path, daemon->load_path[i]);
    g_ptr_array_add (load_path, NULL);
    ok = milter_manager_daemon_load_quietly (daemon, (const gchar *const *) load_path->pdata,
                                             &loaded, &local_error);
    if (ok)
      milter_manager_loaded_clear (&loaded);
  }
  g_unlink (path);
  g_rmdir (directory);
  /* §7 #6: no new command through the socket. */
  if (ok && daemon->configuration &&
      !milter_manager_custom_commands_check (content, size, daemon->configuration,
                                             &local_error)) {
    g_set_error (error, MILTER_MANAGER_DAEMON_ERROR, MILTER_MANAGER_DAEMON_ERROR_INVALID_CUSTOM,
                 "invalid custom configuration: %s", local_error->message);
    return FALSE;
  }
  if (ok)
    return TRUE;
  /* Name the document, not the temporary copy. */
  g_autofree gchar *message = replace_all (local_error->message, path, CUSTOM_FILE);
  g_set_error (error, MILTER_MANAGER_DAEMON_ERROR, MILTER_MANAGER_DAEMON_ERROR_INVALID_CUSTOM,
               "invalid custom configuration: %s", message);
  return FALSE;
}

gchar *
milter_manager_daemon_save_custom_file (MilterManagerDaemon *daemon, const gchar *content,
                                        gsize size, GError **error)
{
  g_autoptr (GPtrArray) directories = NULL;
  g_autoptr (GString) failures = g_string_new (NULL);

  if (!check (daemon, content, size, error))
    return NULL;
  directories = save_directories (daemon);
  for (guint i = 0; i < directories->len; i++) {
    g_autoptr (GError) local_error = NULL;
    g_autofree gchar *path = g_build_filename (directories->pdata[i], CUSTOM_FILE, NULL);
    if (g_file_set_contents_full (path, content, (gssize) size,
                                  G_FILE_SET_CONTENTS_CONSISTENT, 0640, &local_error))
      return g_steal_pointer (&path);
    g_string_append_printf (failures, "%s\"%s\"(%s)", failures->len ? ", " : "", path,
                            local_error->message);
    if (g_file_test (path, G_FILE_TEST_EXISTS)) {
      g_string_append (failures, " (a file further on would be shadowed by it)");
      break;
    }
  }
  g_set_error (error, MILTER_MANAGER_DAEMON_ERROR, MILTER_MANAGER_DAEMON_ERROR_SAVE,
               "failed to save custom configuration file: "
               "can't find writable custom configuration file in [%s]", failures->str);
  return NULL;
}
