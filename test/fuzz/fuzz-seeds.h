/*
 * fuzz-seeds - seed corpus writers for the decoder fuzz targets
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

void milter_fuzz_write_command_seeds (const gchar *directory);
void milter_fuzz_write_reply_seeds (const gchar *directory);
void milter_fuzz_write_launch_seeds (const gchar *directory);

G_END_DECLS
