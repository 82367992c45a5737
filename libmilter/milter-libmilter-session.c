/*
 * milter-libmilter-session - one SMTP connection's SMFICTX and its callbacks
 *
 * SYNOPSIS
 *   g_signal_connect (client, "connection-established",
 *                     G_CALLBACK (_milter_libmilter_session_start), NULL);
 *
 * DESCRIPTION
 *   Each session has an event loop of MilterClient's session pool (the
 *   multi-thread runner), and the registered milter's callbacks are
 *   called in the pool thread that serves the event, as libmilter's
 *   worker pool calls them: a callback may block as long as it likes
 *   without holding up another session, and a session's callbacks never
 *   run at the same time. During a callback the context's macros
 *   (smfi_getsymval) are those the MTA sent for the event, and the
 *   SMFICTX (private data, symbol lists) is the session's.
 *
 *   smfi_stop() (_milter_libmilter_stop_sessions) ends every session,
 *   and those that start later, once its callback in progress is over.
 *
 *   When libmilter calls what: xxfi_negotiate (milters of version > 4)
 *   at negotiation, with the MTA's offer read as libmilter reads it and
 *   the no-reply steps the library can fake added; xxfi_data (version
 *   > 3) and xxfi_unknown (> 2); a last body chunk carried by
 *   end-of-message goes to xxfi_body before xxfi_eom, and a body status
 *   other than continue answers end-of-message; xxfi_abort when the MTA
 *   aborts a message and when the session ends in the middle of one;
 *   xxfi_close at quit and quit-new-connection and, if not called since
 *   the last connect, when the session ends.
 *
 * DIAGNOSTICS
 *   A connect address the milter cannot be given (bad family or
 *   address) ends the session, as in libmilter:
 *   [libmilter][connect][error].
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include <glib.h>

#include <milter/core/milter-logger.h>
#include <milter/client/milter-client-state.h>
#include <libmilter/milter-libmilter-private.h>
#include <libmilter/milter-libmilter-rules.h>

/* The events' user data: the handlers take it as the SMFICTX, its first
 * member; the finished handler as the whole. */
typedef struct {
  SMFICTX smfi;
  guint stop_watch;  /* the idle that ends it after smfi_stop() */
} Session;

/* The sessions running, for smfi_stop(): each gets an idle on its own
 * loop, which the pool runs once the callback in progress has returned. */
static GMutex sessions_lock;
static GHashTable *sessions;
static gboolean stopping;

static gboolean on_stop (gpointer user_data);

/* With sessions_lock held. */
static void
request_session_stop (Session *session)
{
  if (session->stop_watch)
    return;
  session->stop_watch =
    milter_event_loop_add_idle (milter_agent_get_event_loop (MILTER_AGENT (session->smfi.context)),
                                on_stop, session, NULL);
}

static MilterStatus
on_negotiate (MilterClientContext *context, const MilterOption *offer,
              MilterOption *wants, MilterMacrosRequests *requests,
              gpointer user_data)
{
  SMFICTX *ctx = user_data;
  const struct smfiDesc *desc = ctx->desc;
  MilterLibmilterChoice choice = { 0 };
  MilterLibmilterWants chosen;

  (void) context;
  /* libmilter refuses an MTA older than protocol 2 before asking the
   * milter anything. */
  if (offer->version < 2)
    return MILTER_STATUS_REJECT;
  milter_libmilter_read_offer (offer->actions, offer->steps,
                               desc->xxfi_version, &choice.offer);
  if (choice.offer.internal)
    _milter_libmilter_set_max_data_size (choice.offer.internal == SMFIP_MDS_1M ?
                                         1024 * 1024 - 1 : 256 * 1024 - 1);
  choice.flags = (guint32) desc->xxfi_flags;
  choice.callback_steps = milter_libmilter_callback_steps (desc);
  if (desc->xxfi_version > 4 && desc->xxfi_negotiate) {
    unsigned long actions = choice.offer.actions;
    unsigned long steps = choice.callback_steps |
                          (choice.offer.steps & SMFIP_SKIP);
    unsigned long future2 = 0, future3 = 0;

    choice.negotiated = TRUE;
    choice.result = desc->xxfi_negotiate (ctx, choice.offer.actions,
                                          choice.offer.steps |
                                          MILTER_LIBMILTER_FAKEABLE_STEPS,
                                          0, 0, &actions, &steps,
                                          &future2, &future3);
    choice.wanted_actions = (guint32) actions;
    choice.wanted_steps = (guint32) steps;
  }
  if (!milter_libmilter_choose (&choice, &chosen))
    return MILTER_STATUS_REJECT;
  wants->actions = chosen.actions;
  wants->steps = chosen.steps;
  /* The lists take effect only with SMFIF_SETSYMLIST asked for (MTAs
   * ignore them otherwise, so libmilter's sending them anyway changes
   * nothing). */
  for (guint stage = 0; stage <= SMFIM_LAST; stage++) {
    if (ctx->symbol_lists[stage] && (chosen.actions & SMFIF_SETSYMLIST))
      milter_macros_requests_set_from_string (requests, stage,
                                              ctx->symbol_lists[stage]);
  }
  return MILTER_STATUS_CONTINUE;
}

/* The address as libmilter hands it over: a sockaddr of the family,
 * port in network order. FALSE: not one libmilter would take. */
static gboolean
make_address (gint family, guint port, const gchar *address,
              struct sockaddr_storage *storage)
{
  memset (storage, 0, sizeof (*storage));
  switch (family) {
  case '4': {
    struct sockaddr_in *in = (struct sockaddr_in *) storage;

    in->sin_family = AF_INET;
    in->sin_port = htons ((guint16) port);
    return address && inet_pton (AF_INET, address, &in->sin_addr) == 1;
  }
  case '6': {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) storage;

    /* Sendmail writes "IPv6:ADDR". */
    if (address && g_ascii_strncasecmp (address, "IPv6:", 5) == 0)
      address += 5;
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons ((guint16) port);
    return address && inet_pton (AF_INET6, address, &in6->sin6_addr) == 1;
  }
  case 'L': {
    struct sockaddr_un *un = (struct sockaddr_un *) storage;

    un->sun_family = AF_UNIX;
    return address && g_strlcpy (un->sun_path, address,
                                 sizeof (un->sun_path)) <
                      sizeof (un->sun_path);
  }
  default:
    return FALSE;
  }
}

static MilterStatus
on_connect (MilterClientContext *context, const gchar *host, gint family,
            guint port, const gchar *address, gpointer user_data)
{
  SMFICTX *ctx = user_data;
  struct sockaddr_storage storage;
  gboolean known = family != 'U';

  ctx->closed = FALSE;
  if (!ctx->desc->xxfi_connect)
    return MILTER_STATUS_CONTINUE;
  if (known && !make_address (family, port, address, &storage)) {
    milter_error (milter_agent_get_session_id (MILTER_AGENT (context)),
                  "[libmilter][connect][error] family '%c' address <%s>",
                  family, address ? address : "");
    milter_agent_shutdown (MILTER_AGENT (context));
    return MILTER_STATUS_NOT_CHANGE;
  }
  return milter_libmilter_status (
    ctx->desc->xxfi_connect (ctx, (char *) host,
                             known ? (_SOCK_ADDR *) &storage : NULL));
}

static MilterStatus
on_helo (MilterClientContext *context, const gchar *fqdn, gpointer user_data)
{
  SMFICTX *ctx = user_data;

  (void) context;
  if (!ctx->desc->xxfi_helo)
    return MILTER_STATUS_CONTINUE;
  return milter_libmilter_status (ctx->desc->xxfi_helo (ctx, (char *) fqdn));
}

/* argv as libmilter builds it: the address, the ESMTP arguments, NULL. */
static char **
make_argv (SMFICTX *ctx, const gchar *address, const gchar *const *args)
{
  g_ptr_array_set_size (ctx->argv, 0);
  g_ptr_array_add (ctx->argv, (gpointer) address);
  for (guint i = 0; args && args[i]; i++)
    g_ptr_array_add (ctx->argv, (gpointer) args[i]);
  g_ptr_array_add (ctx->argv, NULL);
  return (char **) ctx->argv->pdata;
}

static MilterStatus
on_envelope_from (MilterClientContext *context, const gchar *from,
                  const gchar *const *args, gpointer user_data)
{
  SMFICTX *ctx = user_data;

  (void) context;
  if (!ctx->desc->xxfi_envfrom)
    return MILTER_STATUS_CONTINUE;
  return milter_libmilter_status (
    ctx->desc->xxfi_envfrom (ctx, make_argv (ctx, from, args)));
}

static MilterStatus
on_envelope_recipient (MilterClientContext *context, const gchar *to,
                       const gchar *const *args, gpointer user_data)
{
  SMFICTX *ctx = user_data;

  (void) context;
  if (!ctx->desc->xxfi_envrcpt)
    return MILTER_STATUS_CONTINUE;
  return milter_libmilter_status (
    ctx->desc->xxfi_envrcpt (ctx, make_argv (ctx, to, args)));
}

static MilterStatus
on_data (MilterClientContext *context, gpointer user_data)
{
  SMFICTX *ctx = user_data;

  (void) context;
  if (ctx->desc->xxfi_version <= 3 || !ctx->desc->xxfi_data)
    return MILTER_STATUS_CONTINUE;
  return milter_libmilter_status (ctx->desc->xxfi_data (ctx));
}

static MilterStatus
on_unknown (MilterClientContext *context, const gchar *command,
            gpointer user_data)
{
  SMFICTX *ctx = user_data;

  (void) context;
  if (ctx->desc->xxfi_version <= 2 || !ctx->desc->xxfi_unknown)
    return MILTER_STATUS_CONTINUE;
  return milter_libmilter_status (ctx->desc->xxfi_unknown (ctx, command));
}

static MilterStatus
on_header (MilterClientContext *context, const gchar *name,
           const gchar *value, gpointer user_data)
{
  SMFICTX *ctx = user_data;

  (void) context;
  if (!ctx->desc->xxfi_header)
    return MILTER_STATUS_CONTINUE;
  return milter_libmilter_status (
    ctx->desc->xxfi_header (ctx, (char *) name, (char *) value));
}

static MilterStatus
on_end_of_header (MilterClientContext *context, gpointer user_data)
{
  SMFICTX *ctx = user_data;

  (void) context;
  if (!ctx->desc->xxfi_eoh)
    return MILTER_STATUS_CONTINUE;
  return milter_libmilter_status (ctx->desc->xxfi_eoh (ctx));
}

static MilterStatus
on_body (MilterClientContext *context, gconstpointer chunk, guint64 size,
         gpointer user_data)
{
  SMFICTX *ctx = user_data;

  (void) context;
  if (!ctx->desc->xxfi_body)
    return MILTER_STATUS_CONTINUE;
  return milter_libmilter_status (
    ctx->desc->xxfi_body (ctx, (unsigned char *) chunk, (size_t) size));
}

static MilterStatus
on_end_of_message (MilterClientContext *context, gconstpointer chunk,
                   guint64 size, gpointer user_data)
{
  SMFICTX *ctx = user_data;

  if (size > 0 && ctx->desc->xxfi_body) {
    MilterStatus status = on_body (context, chunk, size, user_data);

    if (status != MILTER_STATUS_CONTINUE)
      return status;
  }
  if (!ctx->desc->xxfi_eom)
    return MILTER_STATUS_CONTINUE;
  return milter_libmilter_status (ctx->desc->xxfi_eom (ctx));
}

static void
on_abort (MilterClientContext *context, gpointer user_data)
{
  SMFICTX *ctx = user_data;

  (void) context;
  if (ctx->desc->xxfi_abort)
    ctx->desc->xxfi_abort (ctx);
}

static void
on_close (MilterClientContext *context, gpointer user_data)
{
  SMFICTX *ctx = user_data;

  (void) context;
  ctx->closed = TRUE;
  if (ctx->desc->xxfi_close)
    ctx->desc->xxfi_close (ctx);
}

static void
session_free (Session *session)
{
  for (guint i = 0; i <= SMFIM_LAST; i++)
    g_free (session->smfi.symbol_lists[i]);
  g_ptr_array_unref (session->smfi.argv);
  g_free (session);
}

/* The session is over without quit (the MTA went away, an error, a
 * stop): libmilter then aborts a message in progress and closes. */
static void
on_finished (MilterClientContext *context, gpointer user_data)
{
  Session *session = user_data;
  SMFICTX *ctx = &session->smfi;

  if (milter_client_state_in_message (milter_client_context_get_state (context)))
    on_abort (context, ctx);
  if (!ctx->closed)
    on_close (context, ctx);
  g_mutex_lock (&sessions_lock);
  g_hash_table_remove (sessions, session);
  if (session->stop_watch)
    milter_event_loop_remove (milter_agent_get_event_loop (MILTER_AGENT (context)),
                              session->stop_watch);
  g_mutex_unlock (&sessions_lock);
  milter_client_context_set_events (context, NULL, NULL);
  session_free (session);
}

static const MilterClientContextEvents events = {
  .negotiate = on_negotiate,
  .connect = on_connect,
  .helo = on_helo,
  .envelope_from = on_envelope_from,
  .envelope_recipient = on_envelope_recipient,
  .data = on_data,
  .unknown = on_unknown,
  .header = on_header,
  .end_of_header = on_end_of_header,
  .body = on_body,
  .end_of_message = on_end_of_message,
  .abort = on_abort,
  .close = on_close,
  .finished = on_finished,
};

/* smfi_stop() or a signal: end this session (the callback in progress,
 * if any, has returned: the pool runs one callback of a session at a
 * time). */
static gboolean
on_stop (gpointer user_data)
{
  Session *session = user_data;

  g_mutex_lock (&sessions_lock);
  session->stop_watch = 0;
  g_mutex_unlock (&sessions_lock);
  milter_agent_shutdown (MILTER_AGENT (session->smfi.context));
  return G_SOURCE_REMOVE;
}

void
_milter_libmilter_stop_sessions (void)
{
  GHashTableIter iter;
  gpointer session;

  g_mutex_lock (&sessions_lock);
  stopping = TRUE;
  if (sessions) {
    g_hash_table_iter_init (&iter, sessions);
    while (g_hash_table_iter_next (&iter, &session, NULL))
      request_session_stop (session);
  }
  g_mutex_unlock (&sessions_lock);
}

void
_milter_libmilter_session_start (MilterClient *client,
                                 MilterClientContext *context,
                                 gpointer user_data)
{
  Session *session = g_new0 (Session, 1);

  (void) client;
  (void) user_data;
  session->smfi.context = context;
  session->smfi.desc = _milter_libmilter_desc ();
  session->smfi.argv = g_ptr_array_new ();
  milter_client_context_set_events (context, &events, session);
  g_mutex_lock (&sessions_lock);
  if (!sessions)
    sessions = g_hash_table_new (NULL, NULL);
  g_hash_table_add (sessions, session);
  if (stopping)
    request_session_stop (session);
  g_mutex_unlock (&sessions_lock);
}
