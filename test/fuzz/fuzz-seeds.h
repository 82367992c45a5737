/*
 * fuzz-seeds - seed corpus writers for the decoder fuzz targets
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Writes buffer as DIRECTORY/NAME (a warning if it cannot), then empties it. */
void milter_fuzz_write_seed (const gchar *directory, const gchar *name,
                             GByteArray *buffer);
void milter_fuzz_write_command_seeds (const gchar *directory);
void milter_fuzz_write_reply_seeds (const gchar *directory);
void milter_fuzz_write_launch_seeds (const gchar *directory);

G_END_DECLS
