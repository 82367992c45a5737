/*
 * launch-seeds - seed inputs for fuzz-launch-decoder
 *
 * SYNOPSIS
 *   void milter_fuzz_write_launch_seeds (const gchar *directory);
 *
 * DESCRIPTION
 *   The fuzz target reads its first byte as the direction (even: the
 *   launcher's requests, odd: the daemon's replies) and the rest as the
 *   pipe's stream. One seed per direction holds valid packets of every
 *   kind built with milter-manager-launch-protocol's encoders.
 *
 * DIAGNOSTICS
 *   A file that cannot be written is reported with g_warning().
 */
#include "config.h"

#include <glib.h>

#include <milter/manager/milter-manager-launch-protocol.h>

#include "test/fuzz/fuzz-seeds.h"

static void
write_seed (const gchar *directory, const gchar *name, GByteArray *buffer)
{
  g_autofree gchar *file_name = g_strdup_printf ("launch-%s.bin", name);

  milter_fuzz_write_seed (directory, file_name, buffer);
}

void
milter_fuzz_write_launch_seeds (const gchar *directory)
{
  g_autoptr (GByteArray) buffer = g_byte_array_new ();
  static const guint8 requests = 0, replies = 1;

  g_byte_array_append (buffer, &requests, 1);
  milter_manager_launch_request_encode (buffer, "/etc/init.d/clamav-milter start", "clamav");
  milter_manager_launch_request_encode (buffer, "milter-test-client -s 'unix:/tmp/a b'", NULL);
  write_seed (directory, "requests", buffer);
  g_byte_array_append (buffer, &replies, 1);
  milter_manager_launch_reply_encode (buffer, MILTER_MANAGER_LAUNCH_REPLY_SUCCESS, NULL);
  milter_manager_launch_reply_encode (buffer, MILTER_MANAGER_LAUNCH_REPLY_ERROR,
                                      "already launched: /bin/x");
  milter_manager_launch_reply_encode (buffer, MILTER_MANAGER_LAUNCH_REPLY_FAILURE, "failed");
  write_seed (directory, "replies", buffer);
}
