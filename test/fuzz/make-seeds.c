/*
 * make-seeds - writes the fuzzers' seed corpora of valid packets
 *
 * SYNOPSIS
 *   make-seeds command|reply|launch DIRECTORY
 *
 * DESCRIPTION
 *   Seeds are built with our own encoders at test time, so the corpus
 *   follows the codec instead of living in the tree as binary files.
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>

#include "test/fuzz/fuzz-seeds.h"

void
milter_fuzz_write_seed (const gchar *directory, const gchar *name, GByteArray *buffer)
{
  g_autofree gchar *path = g_build_filename (directory, name, NULL);
  g_autoptr (GError) error = NULL;

  if (!g_file_set_contents (path, (const gchar *) buffer->data,
                            (gssize) buffer->len, &error))
    g_warning ("cannot write fuzz seed %s: %s", path, error->message);
  g_byte_array_set_size (buffer, 0);
}

int
main (int argc, char **argv)
{
  if (argc != 3) {
    g_printerr ("usage: %s command|reply|launch DIRECTORY\n", argv[0]);
    return 2;
  }
  if (g_mkdir_with_parents (argv[2], 0755) != 0) {
    g_printerr ("%s: cannot create %s\n", argv[0], argv[2]);
    return 1;
  }
  if (g_str_equal (argv[1], "command"))
    milter_fuzz_write_command_seeds (argv[2]);
  else if (g_str_equal (argv[1], "reply"))
    milter_fuzz_write_reply_seeds (argv[2]);
  else if (g_str_equal (argv[1], "launch"))
    milter_fuzz_write_launch_seeds (argv[2]);
  else {
    g_printerr ("%s: unknown corpus '%s' (expected command, reply or launch)\n",
                argv[0], argv[1]);
    return 2;
  }
  return 0;
}
