/*
 * milter-manager-ruby-variant - plain Ruby data to GVariant, so that the
 * C side reads the configuration model without touching Ruby objects.
 *
 * Only Ruby functions that cannot raise are used, so the conversion
 * runs outside rb_protect: an unexpected object becomes its class name,
 * an integer outside 64 bits its decimal text.
 */
#include "config.h"

#include "binding/ruby/milter-manager-ruby-private.h"

static GVariant *
string_variant (VALUE value)
{
  return g_variant_new_take_string (g_strndup (RSTRING_PTR (value),
                                               (gsize) RSTRING_LEN (value)));
}

static int
add_pair (VALUE key, VALUE value, VALUE data)
{
  GVariantBuilder *builder = (GVariantBuilder *) data;
  g_autofree gchar *text = NULL;
  if (RB_TYPE_P (key, T_SYMBOL))
    key = rb_sym2str (key);
  if (RB_TYPE_P (key, T_STRING))
    text = g_strndup (RSTRING_PTR (key), (gsize) RSTRING_LEN (key));
  else
    text = g_strdup (rb_obj_classname (key));
  g_variant_builder_add (builder, "{sv}", text,
                         milter_manager_ruby_value_to_variant (value));
  return ST_CONTINUE;
}

GVariant *
milter_manager_ruby_value_to_variant (VALUE value)
{
  switch (TYPE (value)) {
  case T_NIL:
    return g_variant_new_maybe (G_VARIANT_TYPE_VARIANT, NULL);
  case T_TRUE:
    return g_variant_new_boolean (TRUE);
  case T_FALSE:
    return g_variant_new_boolean (FALSE);
  case T_FIXNUM:
    return g_variant_new_int64 (FIX2LONG (value));
  case T_BIGNUM:
    return string_variant (rb_big2str (value, 10));
  case T_FLOAT:
    return g_variant_new_double (RFLOAT_VALUE (value));
  case T_STRING:
    return string_variant (value);
  case T_SYMBOL:
    return string_variant (rb_sym2str (value));
  case T_ARRAY: {
    GVariantBuilder builder;
    g_variant_builder_init (&builder, G_VARIANT_TYPE ("av"));
    for (long i = 0; i < RARRAY_LEN (value); i++)
      g_variant_builder_add (&builder, "v",
                             milter_manager_ruby_value_to_variant (rb_ary_entry (value, i)));
    return g_variant_builder_end (&builder);
  }
  case T_HASH: {
    GVariantBuilder builder;
    g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{sv}"));
    rb_hash_foreach (value, add_pair, (VALUE) &builder);
    return g_variant_builder_end (&builder);
  }
  default:
    return g_variant_new_string (rb_obj_classname (value));
  }
}
