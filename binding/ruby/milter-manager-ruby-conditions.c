/*
 * milter-manager-ruby-conditions - the applicable conditions of a loaded
 * configuration as engine conditions (milter-manager-applicable-
 * condition.h) whose stop function runs the Ruby stoppers.
 *
 * Each engine condition keeps its Ruby ApplicableConditionDefinition
 * alive (registered with Ruby's GC) for as long as a session's
 * configuration holds it, so a session started before a reload keeps
 * the stoppers it started with.
 *
 * A stopper call gets a Milter::Manager::ChildContext::Native wrapping
 * the engine's context. Once the daemon's loop runs stoppers off itself
 * (milter-manager-ruby-stopper-jobs.c), a call is a job: its natives
 * (also those of children[NAME]) live while the job's answer is owed,
 * and see the stage of the call. Run at once (no loop: tests, tools),
 * every native of the call is cut from the engine when it returns. So
 * a native kept by Ruby code later raises ChildContext::Expired instead
 * of reaching freed memory. Nothing is built in Ruby for a child without
 * conditions: the engine calls here only for a child that has some.
 *
 * A definition with a native form (DNSBL, and S25R and Remote Network
 * while their settings have one) becomes the engine's native condition
 * instead: no Ruby runs in its sessions.
 */
#include "config.h"

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-applicable-condition.h>
#include <milter/manager/milter-manager-builtin-conditions.h>
#include <milter/manager/milter-manager-dnsbl-condition.h>

#include "binding/ruby/milter-manager-ruby-configuration.h"
#include "binding/ruby/milter-manager-ruby-private.h"

static VALUE native_class = Qnil;
/* Looked up once: a stopper call is per session and child, so it should
 * not hash names (rb_intern) or build stage names each time. */
static ID id_stop;
static ID id_stop_first;
static VALUE stage_symbols[MILTER_SERVER_STATE_COUNT];
static VALUE family_symbols[4];   /* inet, inet6, unix, unknown */
static VALUE expired_class = Qnil;
/* The natives of the call in progress (an Array, so the GC sees them). */
static VALUE call_natives = Qnil;

typedef struct {
  MilterManagerConditionContext *context;   /* NULL once cut */
  VALUE job;                                /* its job, or Qnil */
} Native;

static void
native_mark (void *data)
{
  rb_gc_mark (((Native *) data)->job);
}

static const rb_data_type_t native_type = {
  .wrap_struct_name = "MilterManagerConditionContext",
  .function = { .dmark = native_mark, .dfree = RUBY_TYPED_DEFAULT_FREE },
  .flags = RUBY_TYPED_FREE_IMMEDIATELY
};

/* job: the job the native belongs to, or Qnil for a call run now. */
static VALUE
native_new_for (MilterManagerConditionContext *context, VALUE job)
{
  Native *data;
  VALUE native = TypedData_Make_Struct (native_class, Native, &native_type, data);

  data->context = context;
  data->job = job;
  if (NIL_P (job))
    rb_ary_push (call_natives, native);
  return native;
}

static MilterManagerConditionContext *
native_context (VALUE self)
{
  Native *data = rb_check_typeddata (self, &native_type);

  if (!NIL_P (data->job) && !_milter_manager_ruby_job_enter (data->job))
    data->context = NULL;
  if (!data->context)
    rb_raise (expired_class, "the context is used after its stopper returned");
  return data->context;
}

static VALUE
string_or_nil (const gchar *text)
{
  return text ? rb_str_new_cstr (text) : Qnil;
}

static VALUE
native_name (VALUE self)
{
  return string_or_nil (milter_manager_condition_context_get_name (native_context (self)));
}

static VALUE
native_session_id (VALUE self)
{
  return ULL2NUM (milter_manager_condition_context_get_session_id (native_context (self)));
}

static VALUE
native_macro (VALUE self, VALUE name)
{
  return string_or_nil (milter_manager_condition_context_get_macro (native_context (self),
                                                                    StringValueCStr (name)));
}

static VALUE
native_set_macro (VALUE self, VALUE name, VALUE value)
{
  milter_manager_condition_context_set_macro (native_context (self),
                                              StringValueCStr (name),
                                              NIL_P (value) ? NULL : StringValueCStr (value));
  return value;
}

static VALUE
native_status (VALUE self)
{
  MilterStatus status = milter_manager_condition_context_get_status (native_context (self));

  return status == MILTER_STATUS_NOT_CHANGE ? Qnil :
    string_or_nil (milter_status_to_string (status));
}

static VALUE
native_quitted (VALUE self)
{
  return milter_manager_condition_context_is_quitted (native_context (self)) ? Qtrue : Qfalse;
}

static VALUE
native_find (VALUE self, VALUE name)
{
  MilterManagerConditionContext *other =
    milter_manager_condition_context_find (native_context (self), StringValueCStr (name));

  return other ? native_new_for (other, ((Native *) DATA_PTR (self))->job) : Qnil;
}

static VALUE
native_n_processing_sessions (VALUE self)
{
  return UINT2NUM (milter_manager_condition_context_get_n_processing_sessions (native_context (self)));
}

static VALUE
native_shelf_get (VALUE self, VALUE key)
{
  GBytes *bytes = milter_manager_condition_context_shelf_get (native_context (self),
                                                              StringValueCStr (key));
  gsize size = 0;
  const gchar *data;

  if (!bytes)
    return Qnil;
  data = g_bytes_get_data (bytes, &size);
  return rb_str_new (data, (long) size);
}

static VALUE
native_shelf_set (VALUE self, VALUE key, VALUE value)
{
  MilterManagerConditionContext *context = native_context (self);
  g_autoptr (GBytes) bytes = NULL;

  if (!NIL_P (value)) {
    StringValue (value);
    bytes = g_bytes_new (RSTRING_PTR (value), (gsize) RSTRING_LEN (value));
  }
  milter_manager_condition_context_shelf_set (context, StringValueCStr (key), bytes);
  return value;
}

static VALUE
native_shelf_keys (VALUE self)
{
  g_autoptr (GPtrArray) keys =
    milter_manager_condition_context_shelf_keys (native_context (self));
  VALUE list = rb_ary_new_capa ((long) keys->len);

  for (guint i = 0; i < keys->len; i++)
    rb_ary_push (list, rb_str_new_cstr (g_ptr_array_index (keys, i)));
  return list;
}

static void
define_native_class (void)
{
  VALUE milter, manager, child_context;

  if (!NIL_P (native_class))
    return;
  milter = rb_const_get (rb_cObject, rb_intern ("Milter"));
  manager = rb_const_get (milter, rb_intern ("Manager"));
  child_context = rb_const_get (manager, rb_intern ("ChildContext"));
  expired_class = rb_const_get (child_context, rb_intern ("Expired"));
  native_class = rb_define_class_under (child_context, "Native", rb_cObject);
  rb_undef_alloc_func (native_class);
  rb_define_method (native_class, "name", native_name, 0);
  rb_define_method (native_class, "session_id", native_session_id, 0);
  rb_define_method (native_class, "macro", native_macro, 1);
  rb_define_method (native_class, "set_macro", native_set_macro, 2);
  rb_define_method (native_class, "status", native_status, 0);
  rb_define_method (native_class, "quitted?", native_quitted, 0);
  rb_define_method (native_class, "find", native_find, 1);
  rb_define_method (native_class, "n_processing_sessions",
                    native_n_processing_sessions, 0);
  rb_define_method (native_class, "shelf_get", native_shelf_get, 1);
  rb_define_method (native_class, "shelf_set", native_shelf_set, 2);
  rb_define_method (native_class, "shelf_keys", native_shelf_keys, 0);
  call_natives = rb_ary_new ();
  id_stop = rb_intern ("stop");
  id_stop_first = rb_intern ("stop_first");
  for (MilterServerState state = 0; state < MILTER_SERVER_STATE_COUNT; state++) {
    g_autofree gchar *name =
      g_strdelimit (g_strdup (milter_server_state_to_string (state)), "-", '_');

    /* Symbols of interned IDs are never collected. */
    stage_symbols[state] = ID2SYM (rb_intern (name));
  }
  family_symbols[0] = ID2SYM (rb_intern ("inet"));
  family_symbols[1] = ID2SYM (rb_intern ("inet6"));
  family_symbols[2] = ID2SYM (rb_intern ("unix"));
  family_symbols[3] = ID2SYM (rb_intern ("unknown"));
  rb_gc_register_address (&native_class);
  rb_gc_register_address (&expired_class);
  rb_gc_register_address (&call_natives);
}

/* ---- the engine condition ---------------------------------------------- */

typedef struct {
  VALUE definition;   /* registered with the GC while this lives */
} RubyCondition;

static void
ruby_condition_free (gpointer data)
{
  RubyCondition *condition = data;

  rb_gc_unregister_address (&condition->definition);
  g_free (condition);
}

static VALUE
family_symbol (MilterFamily family)
{
  switch (family) {
  case MILTER_FAMILY_INET: return family_symbols[0];
  case MILTER_FAMILY_INET6: return family_symbols[1];
  case MILTER_FAMILY_UNIX: return family_symbols[2];
  default: return family_symbols[3];
  }
}

static VALUE
event_arguments (gconstpointer data)
{
  const MilterManagerStopperEvent *event = data;

  switch (event->stage) {
  case MILTER_SERVER_STATE_CONNECT:
    return rb_ary_new_from_args (4, string_or_nil (event->host),
                                 family_symbol (event->family),
                                 string_or_nil (event->address),
                                 UINT2NUM (event->port));
  case MILTER_SERVER_STATE_HELO:
  case MILTER_SERVER_STATE_ENVELOPE_FROM:
  case MILTER_SERVER_STATE_ENVELOPE_RECIPIENT:
    return rb_ary_new_from_args (1, string_or_nil (event->text));
  case MILTER_SERVER_STATE_HEADER:
    return rb_ary_new_from_args (2, string_or_nil (event->text),
                                 string_or_nil (event->value));
  case MILTER_SERVER_STATE_BODY:
    return rb_ary_new_from_args (1, rb_str_new ((const char *) event->chunk,
                                                (long) event->size));
  default:
    return rb_ary_new ();
  }
}

typedef struct {
  ID method;
  VALUE args[4];
} StopCall;

static VALUE
stop_body (VALUE data)
{
  StopCall *call = (StopCall *) data;

  return rb_funcallv (milter_manager_ruby_embedded_module (), call->method, 4,
                      call->args);
}

/* Embedded.METHOD(target, stage, native, arguments) under rb_protect;
 * Qnil when it raised (logged: the stoppers rescue their own errors, so
 * only a fault around them gets here; it counts as "don't stop"). */
static VALUE
call_ruby (ID method, VALUE target, const gchar *name,
           MilterManagerConditionContext *context,
           const MilterManagerStopperEvent *event)
{
  StopCall call = {
    method,
    { target, stage_symbols[event->stage], native_new_for (context, Qnil),
      event_arguments (event) }
  };
  int state = 0;
  VALUE result = rb_protect (stop_body, (VALUE) &call, &state);

  /* The call is over: every native of it is cut from the engine. */
  for (long i = 0; i < RARRAY_LEN (call_natives); i++)
    ((Native *) DATA_PTR (rb_ary_entry (call_natives, i)))->context = NULL;
  rb_ary_clear (call_natives);
  if (state != 0) {
    VALUE exception = rb_errinfo ();
    VALUE message = NIL_P (exception) ? Qnil :
      rb_protect (rb_obj_as_string, exception, &state);

    rb_set_errinfo (Qnil);
    milter_error (milter_manager_condition_context_get_session_id (context),
                  "[applicable-condition][stopper][error] %s: %s: %s",
                  name, milter_server_state_to_string (event->stage),
                  RB_TYPE_P (message, T_STRING) ? StringValueCStr (message) : "unknown error");
    return Qnil;
  }
  return result;
}

static gboolean
run_stoppers (MilterManagerApplicableCondition *condition,
              MilterManagerConditionContext *context,
              const MilterManagerStopperEvent *event,
              gpointer user_data)
{
  RubyCondition *ruby = user_data;

  return RTEST (call_ruby (id_stop, ruby->definition,
                           milter_manager_applicable_condition_get_name (condition),
                           context, event));
}

/* A child's Ruby conditions of one stage in one call: the call's fixed
 * cost (context, arguments, dispatch) is paid once per child. */
static gint
run_batch (MilterManagerApplicableCondition *const *conditions,
           guint n_conditions,
           MilterManagerConditionContext *context,
           const MilterManagerStopperEvent *event)
{
  VALUE definitions = rb_ary_new_capa ((long) n_conditions);
  VALUE index;

  for (guint i = 0; i < n_conditions; i++) {
    RubyCondition *ruby = milter_manager_applicable_condition_get_user_data (conditions[i]);

    rb_ary_push (definitions, ruby->definition);
  }
  /* Off the loop when it can be: the answer comes later. */
  if (_milter_manager_ruby_stop_later (context, definitions, stage_symbols[event->stage],
                                       native_new_for, event_arguments, event))
    return -1;
  index = call_ruby (id_stop_first, definitions,
                     milter_manager_applicable_condition_get_name (conditions[0]),
                     context, event);
  return FIXNUM_P (index) ? FIX2INT (index) : -1;
}

static guint
stage_bits (VALUE stages)
{
  guint bits = 0;

  for (long i = 0; i < RARRAY_LEN (stages); i++) {
    VALUE name = rb_ary_entry (stages, i);
    MilterServerState state;

    for (state = MILTER_SERVER_STATE_CONNECT; state <= MILTER_SERVER_STATE_END_OF_MESSAGE; state++) {
      /* Ruby's stage names are the state names with '_' for '-'. */
      g_autofree gchar *ruby_name =
        g_strdelimit (g_strdup (milter_server_state_to_string (state)), "-", '_');

      if (RB_TYPE_P (name, T_STRING) && g_str_equal (ruby_name, StringValueCStr (name)))
        bits |= MILTER_MANAGER_CONDITION_STAGE (state);
    }
  }
  return bits;
}

static VALUE
hash_get (VALUE hash, const gchar *key)
{
  return rb_hash_aref (hash, rb_str_new_cstr (key));
}

/* {"zones" => [[ZONE, EXPECTED or nil]...], "name_server" => TEXT or nil,
 * "timeout" => SECONDS, "stop_when_listed" => BOOL} (dnsbl.rb) as the
 * engine's native DNSBL condition; the Ruby side checked the values. */
static MilterManagerApplicableCondition *
dnsbl_condition (const gchar *name, VALUE native, GError **error)
{
  VALUE zones = hash_get (native, "zones");
  VALUE name_server = hash_get (native, "name_server");
  VALUE timeout = hash_get (native, "timeout");
  long n = RB_TYPE_P (zones, T_ARRAY) ? RARRAY_LEN (zones) : 0;
  g_autofree MilterManagerDnsblZone *parsed = g_new0 (MilterManagerDnsblZone, MAX (n, 1));

  for (long i = 0; i < n; i++) {
    VALUE zone = rb_ary_entry (rb_ary_entry (zones, i), 0);
    VALUE expected = rb_ary_entry (rb_ary_entry (zones, i), 1);
    if (!RB_TYPE_P (zone, T_STRING) ||
        !milter_manager_dnsbl_zone_parse (StringValueCStr (zone),
                                          RB_TYPE_P (expected, T_STRING) ?
                                          StringValueCStr (expected) : NULL,
                                          &parsed[i], error)) {
      g_prefix_error (error, "%s: ", name);
      return NULL;
    }
  }
  return milter_manager_dnsbl_condition_new (name, RTEST (hash_get (native, "stop_when_listed")),
                                             parsed, (guint) n,
                                             RB_TYPE_P (name_server, T_STRING) ?
                                             StringValueCStr (name_server) : NULL,
                                             RB_FLOAT_TYPE_P (timeout) ? RFLOAT_VALUE (timeout) : 5.0);
}

static gboolean
matcher_list (VALUE entries, MilterManagerMatcherList **list, GError **error)
{
  *list = milter_manager_matcher_list_new ();
  for (long i = 0; RB_TYPE_P (entries, T_ARRAY) && i < RARRAY_LEN (entries); i++) {
    VALUE entry = rb_ary_entry (entries, i);
    VALUE kind = rb_ary_entry (entry, 0);
    VALUE text = rb_ary_entry (entry, 1);

    if (!RB_TYPE_P (kind, T_STRING) || !RB_TYPE_P (text, T_STRING))
      continue;
    if (g_str_equal (StringValueCStr (kind), "string")) {
      milter_manager_matcher_list_add_string (*list, StringValueCStr (text));
    } else if (!milter_manager_matcher_list_add_regex (*list, StringValueCStr (text),
                                                       (guint) NUM2UINT (rb_ary_entry (entry, 2)),
                                                       error)) {
      g_clear_pointer (list, milter_manager_matcher_list_free);
      return FALSE;
    }
  }
  return TRUE;
}

static gboolean
hex_bytes (VALUE text, guint8 bytes[16])
{
  if (!RB_TYPE_P (text, T_STRING) || RSTRING_LEN (text) != 32)
    return FALSE;
  for (gint i = 0; i < 16; i++) {
    gint high = g_ascii_xdigit_value (RSTRING_PTR (text)[2 * i]);
    gint low = g_ascii_xdigit_value (RSTRING_PTR (text)[2 * i + 1]);
    if (high < 0 || low < 0)
      return FALSE;
    bytes[i] = (guint8) (high * 16 + low);
  }
  return TRUE;
}

static MilterManagerNetworkList *
network_list (VALUE networks)
{
  MilterManagerNetworkList *list = milter_manager_network_list_new ();
  for (long i = 0; RB_TYPE_P (networks, T_ARRAY) && i < RARRAY_LEN (networks); i++) {
    VALUE network = rb_ary_entry (networks, i);
    guint8 address[16], mask[16];

    if (hex_bytes (rb_ary_entry (network, 1), address) &&
        hex_bytes (rb_ary_entry (network, 2), mask))
      milter_manager_network_list_add (list, NUM2INT (rb_ary_entry (network, 0)), address, mask);
  }
  return list;
}

/* The native form of a built-in (s25r.rb, remote-network.rb, dnsbl.rb),
 * or NULL (with error for DNSBL, which has no Ruby stopper; without for
 * the others, whose Ruby stoppers then run). */
static MilterManagerApplicableCondition *
native_condition (const gchar *name, VALUE native, GError **error)
{
  VALUE kind = hash_get (native, "kind");
  const gchar *kind_name = RB_TYPE_P (kind, T_STRING) ? StringValueCStr (kind) : "";

  if (g_str_equal (kind_name, "dnsbl"))
    return dnsbl_condition (name, native, error);
  if (g_str_equal (kind_name, "s25r")) {
    g_autoptr (GError) local_error = NULL;
    MilterManagerMatcherList *white = NULL, *black = NULL;
    if (!matcher_list (hash_get (native, "whitelist"), &white, &local_error) ||
        !matcher_list (hash_get (native, "blacklist"), &black, &local_error)) {
      milter_debug (0, "[applicable-condition][native][skip] %s: %s", name, local_error->message);
      milter_manager_matcher_list_free (white);
      return NULL;
    }
    return milter_manager_s25r_condition_new (name, white, black,
                                              RTEST (hash_get (native, "only_check_ipv4")));
  }
  if (g_str_equal (kind_name, "remote-network"))
    return milter_manager_remote_network_condition_new (name,
                                                        network_list (hash_get (native, "local")),
                                                        network_list (hash_get (native, "remote")));
  return NULL;
}

gboolean
milter_manager_ruby_configuration_add_conditions (MilterManagerRubyConfiguration *configuration,
                                                  MilterManagerConfiguration *engine,
                                                  GError **error)
{
  VALUE list;

  define_native_class ();
  if (!milter_manager_ruby_call (milter_manager_ruby_embedded_module (), "conditions",
                                 &list, error, 1,
                                 milter_manager_ruby_configuration_get_model (configuration)))
    return FALSE;
  for (long i = 0; RB_TYPE_P (list, T_ARRAY) && i < RARRAY_LEN (list); i++) {
    /* [NAME, DESCRIPTION, CONDITION, [STAGE...], NATIVE or nil] (embedded.rb) */
    VALUE entry = rb_ary_entry (list, i);
    VALUE name = rb_ary_entry (entry, 0);
    VALUE description = rb_ary_entry (entry, 1);
    VALUE native = rb_ary_entry (entry, 4);
    MilterManagerApplicableCondition *condition;

    g_autoptr (GError) native_error = NULL;
    condition = RB_TYPE_P (native, T_HASH) ?
      native_condition (StringValueCStr (name), native, &native_error) : NULL;
    if (native_error) {
      g_propagate_error (error, g_steal_pointer (&native_error));
      return FALSE;
    }
    if (!condition) {
      RubyCondition *ruby = g_new0 (RubyCondition, 1);

      ruby->definition = rb_ary_entry (entry, 2);
      rb_gc_register_address (&ruby->definition);
      condition = milter_manager_applicable_condition_new (StringValueCStr (name),
                                                           stage_bits (rb_ary_entry (entry, 3)),
                                                           run_stoppers, ruby,
                                                           ruby_condition_free);
      milter_manager_applicable_condition_set_batch (condition, run_batch);
    }
    if (RB_TYPE_P (description, T_STRING))
      milter_manager_applicable_condition_set_description (condition,
                                                           StringValueCStr (description));
    milter_manager_configuration_add_applicable_condition (engine, condition);
    milter_manager_applicable_condition_unref (condition);
  }
  return TRUE;
}
