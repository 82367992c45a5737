/*
 * milter-manager-ruby-private - what the files of binding/ruby share:
 * the Ruby headers (included as system headers, see ruby.am),
 * the protected call and the conversion of Ruby data to GVariant.
 */
#pragma once

#include <glib.h>

#include <ruby.h>

#include <milter/manager/milter-manager-applicable-condition.h>

/* receiver.method(args...) under rb_protect; a Ruby exception becomes a
 * MILTER_MANAGER_RUBY_ERROR_RUBY error carrying its message and
 * backtrace. Returns FALSE on error. */
gboolean milter_manager_ruby_call (VALUE receiver,
                                   const gchar *method,
                                   VALUE *result,
                                   GError **error,
                                   int n_args,
                                   ...);
/* Milter::Manager::Embedded, once milter_manager_ruby_init succeeded. */
VALUE milter_manager_ruby_embedded_module (void);

/* milter-manager-ruby-stopper-jobs.c */
gboolean _milter_manager_ruby_stop_later (MilterManagerConditionContext *context,
                                          VALUE definitions, VALUE stage,
                                          VALUE (*make_native) (MilterManagerConditionContext *context,
                                                                VALUE job),
                                          VALUE (*make_arguments) (gconstpointer event),
                                          gconstpointer event);
MilterManagerConditionContext *_milter_manager_ruby_job_enter (VALUE job);

/* nil, true/false, Integer, Float, String, Symbol, Array, Hash (keys as
 * strings) -> GVariant (floating); anything else -> its inspect text. */
GVariant *milter_manager_ruby_value_to_variant (VALUE value);

/* The Ruby Configuration object. */
struct _MilterManagerRubyConfiguration;
VALUE milter_manager_ruby_configuration_get_model (struct _MilterManagerRubyConfiguration *configuration);
