/*
 * milter-manager-applicable-condition.c - the condition object: a name,
 * its stages and the binding's stop function. The per-call context is
 * in milter-manager-children-conditions.c. See
 * milter-manager-applicable-condition.h.
 */
#include "config.h"

#include <string.h>

#include <milter/manager/milter-manager-applicable-condition.h>

struct _MilterManagerApplicableCondition {
  gint ref_count;
  gchar *name;
  gchar *description;
  guint stages;
  MilterManagerStopFunc stop;
  gpointer user_data;
  GDestroyNotify destroy;
  MilterManagerBatchStopFunc batch;
};

MilterManagerApplicableCondition *
milter_manager_applicable_condition_new (const gchar *name,
                                         guint stages,
                                         MilterManagerStopFunc stop,
                                         gpointer user_data,
                                         GDestroyNotify destroy)
{
  MilterManagerApplicableCondition *condition =
    g_new0 (MilterManagerApplicableCondition, 1);

  condition->ref_count = 1;
  condition->name = g_strdup (name);
  condition->stages = stop ? stages : 0;
  condition->stop = stop;
  condition->user_data = user_data;
  condition->destroy = destroy;
  return condition;
}

MilterManagerApplicableCondition *
milter_manager_applicable_condition_ref (MilterManagerApplicableCondition *condition)
{
  g_atomic_int_inc (&condition->ref_count);
  return condition;
}

void
milter_manager_applicable_condition_unref (MilterManagerApplicableCondition *condition)
{
  if (!condition || !g_atomic_int_dec_and_test (&condition->ref_count))
    return;
  if (condition->destroy)
    condition->destroy (condition->user_data);
  g_free (condition->name);
  g_free (condition->description);
  g_free (condition);
}

const gchar *
milter_manager_applicable_condition_get_name (MilterManagerApplicableCondition *condition)
{
  return condition->name;
}

void
milter_manager_applicable_condition_set_description (MilterManagerApplicableCondition *condition,
                                                     const gchar *description)
{
  g_free (condition->description);
  condition->description = g_strdup (description);
}

const gchar *
milter_manager_applicable_condition_get_description (MilterManagerApplicableCondition *condition)
{
  return condition->description;
}

gboolean
milter_manager_applicable_condition_has_stopper (MilterManagerApplicableCondition *condition,
                                                 MilterServerState stage)
{
  return (condition->stages & MILTER_MANAGER_CONDITION_STAGE (stage)) != 0;
}

gboolean
milter_manager_applicable_condition_stop (MilterManagerApplicableCondition *condition,
                                          MilterManagerConditionContext *context,
                                          const MilterManagerStopperEvent *event)
{
  if (!milter_manager_applicable_condition_has_stopper (condition, event->stage))
    return FALSE;
  return condition->stop (condition, context, event, condition->user_data);
}

gpointer
milter_manager_applicable_condition_get_user_data (MilterManagerApplicableCondition *condition)
{
  return condition->user_data;
}

void
milter_manager_applicable_condition_set_batch (MilterManagerApplicableCondition *condition,
                                               MilterManagerBatchStopFunc batch)
{
  condition->batch = batch;
}

MilterManagerBatchStopFunc
milter_manager_applicable_condition_get_batch (MilterManagerApplicableCondition *condition)
{
  return condition->batch;
}

guint8
milter_manager_condition_stage_macro_command (MilterServerState stage)
{
  switch (stage) {
  case MILTER_SERVER_STATE_CONNECT: return MILTER_COMMAND_CONNECT;
  case MILTER_SERVER_STATE_HELO: return MILTER_COMMAND_HELO;
  case MILTER_SERVER_STATE_ENVELOPE_FROM: return MILTER_COMMAND_ENVELOPE_FROM;
  case MILTER_SERVER_STATE_ENVELOPE_RECIPIENT: return MILTER_COMMAND_ENVELOPE_RECIPIENT;
  case MILTER_SERVER_STATE_DATA: return MILTER_COMMAND_DATA;
  case MILTER_SERVER_STATE_UNKNOWN: return MILTER_COMMAND_UNKNOWN;
  case MILTER_SERVER_STATE_HEADER: return MILTER_COMMAND_HEADER;
  case MILTER_SERVER_STATE_END_OF_HEADER: return MILTER_COMMAND_END_OF_HEADER;
  case MILTER_SERVER_STATE_BODY: return MILTER_COMMAND_BODY;
  case MILTER_SERVER_STATE_END_OF_MESSAGE: return MILTER_COMMAND_END_OF_MESSAGE;
  default: return 0;
  }
}

gchar *
milter_manager_condition_macro_wire_name (const gchar *name)
{
  gsize length = strlen (name);

  /* The children module stores a long name in braces and a letter bare,
   * as the wire has them (milter_manager_children_set_macros). */
  if (length >= 2 && name[0] == '{' && name[length - 1] == '}') {
    name++;
    length -= 2;
  }
  if (length <= 1)
    return g_strndup (name, length);
  return g_strdup_printf ("{%.*s}", (int) length, name);
}
