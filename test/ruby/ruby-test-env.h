/*
 * ruby-test-env - point the embedded interpreter of a test program at the
 * Ruby library of the source and build trees ($top_srcdir, $top_builddir,
 * set by make check), as the uninstalled daemon is.
 */
#pragma once

#include <glib.h>

static inline void
milter_test_use_tree_ruby_library (void)
{
  const gchar *srcdir = g_getenv ("top_srcdir");
  const gchar *builddir = g_getenv ("top_builddir");
  g_autofree gchar *rubylib = g_strdup_printf ("%s/binding/ruby/lib:%s/binding/ruby/lib",
                                               srcdir ? srcdir : ".",
                                               builddir ? builddir : ".");
  g_setenv ("MILTER_MANAGER_RUBYLIB", rubylib, TRUE);
}
