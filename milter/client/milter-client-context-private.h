/*
 * milter-client-context-private - MilterClientContext internals shared by its files
 *
 * SYNOPSIS
 *   #include <milter/client/milter-client-context-private.h>
 *
 * DESCRIPTION
 *   The instance struct of MilterClientContext, used by
 *   milter-client-context.c (commands, replies, timeout),
 *   milter-client-context-macros.c (the MTA's macros) and
 *   milter-client-context-modifications.c (end-of-message edits). Not
 *   installed.
 *
 * DIAGNOSTICS
 *   None.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-agent.h>
#include <milter/core/milter-command-decoder.h>
#include <milter/core/milter-macros-requests.h>
#include <milter/core/milter-option.h>
#include <milter/client/milter-client-context.h>
#include <milter/client/milter-client-state.h>

G_BEGIN_DECLS

/* Macro stages: the command bytes C H M R T N E U. */
#define MILTER_CLIENT_CONTEXT_N_STAGES 8

/* One stage's macros (milter-client-context-macros.c). */
typedef struct {
  gchar *data;        /* "name\0value\0"...; names without braces */
  gsize size;
  gsize capacity;     /* of data: reused by the stage's next definitions */
  guint n_macros;
  GHashTable *table;  /* get_stage_macros()'s, made on demand */
  gboolean stale;     /* table not refilled since data changed */
} MilterClientContextMacros;

struct _MilterClientContext {
  MilterAgent parent_instance;

  MilterCommandDecoder *decoder;
  GByteArray *output;  /* the agent's output buffer (not a reference) */
  MilterClientState state;
  MilterOption mta_option;
  MilterOption option;
  /* The negotiate handler's wishes, kept for a deferred reply. */
  MilterOption wants;
  /* No-reply wishes the MTA did not offer: the library answers continue
   * for those events itself, as libmilter does. */
  MilterStepFlags faked_no_reply;
  /* Made when a negotiate handler is connected: most milters ask for no
   * macros, and the object cost an allocation set per session. */
  MilterMacrosRequests *macros_requests;
  MilterClientContextMacros macros[MILTER_CLIENT_CONTEXT_N_STAGES];

  /* The event being handled; 0 between events. */
  MilterCommandType current;
  /* Numbers the events of the session; a deferred reply names its own. */
  guint64 event_id;
  gboolean reply_pending;
  gboolean in_end_of_message;
  gchar *reply_code;
  gsize packet_buffer_size;

  /* Idle and write timeout (seconds; 0: none): the time of the last read,
 * write or reply the MTA took, and the writer's pending size then. */
  gdouble timeout;
  guint timer_id;
  gint64 last_activity;

  /* The owner's hook at "finished", after the signal's handlers (the
   * client counts sessions out there without a connection per session). */
  void (*finished_func) (MilterClientContext *context, gpointer user_data);
  gpointer finished_data;

  /* milter_client_context_set_events(): never NULL (an empty table). */
  const MilterClientContextEvents *events;
  gpointer events_data;
};

/* Frees the stages' macro blocks that grew past a few kB
 * (milter-client-context-macros.c). */
void _milter_client_context_trim_macros (MilterClientContext *self);

/* A finished context ready for a new session on fd, as a new context
 * after milter_agent_set_fd() on the same loop (milter_agent_reuse());
 * FALSE, and nothing done, if it cannot be. Its GObject side (signal
 * handlers, data) is the owner's to have left clean. */
gboolean _milter_client_context_reuse (MilterClientContext *context, gint fd);

/* Sets the owner's hook at "finished" (NULL func: none). */
void _milter_client_context_set_finished_func (MilterClientContext *context,
                                               void (*func) (MilterClientContext *,
                                                             gpointer),
                                               gpointer user_data);

/* Reports a write failure as MILTER_CLIENT_CONTEXT_ERROR_IO and ends the
 * session. Returns FALSE. */
gboolean _milter_client_context_fail_io (MilterClientContext *self,
                                         GError *cause,
                                         GError **error);

/* The timeout's clock (milter-client-context-timeout.c). */
void _milter_client_context_note_input (MilterClientContext *self);
void _milter_client_context_note_written (MilterClientContext *self);
void _milter_client_context_stop_timer (MilterClientContext *self);

/* milter-client-context-macros.c */
G_GNUC_INTERNAL void _milter_client_context_define_macros (MilterClientContext *self,
                                                           const MilterCommand *command);
/* Forgets the stages of index first to last, except keep (-1: none). */
G_GNUC_INTERNAL void _milter_client_context_clear_macros (MilterClientContext *self,
                                                          gint first,
                                                          gint last,
                                                          gint keep);
G_GNUC_INTERNAL void _milter_client_context_free_macros (MilterClientContext *self);

G_END_DECLS
