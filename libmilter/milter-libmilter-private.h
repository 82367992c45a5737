/*
 * milter-libmilter-private - the libmilter library's internals shared by its files
 *
 * SYNOPSIS
 *   #include <libmilter/milter-libmilter-private.h>
 *
 * DESCRIPTION
 *   struct smfi_str (SMFICTX: one SMTP connection's session) and the
 *   process-wide state of smfi_register()/smfi_set*() that smfi_main()
 *   runs with. The files:
 *
 *     milter-libmilter-main.c     registration, settings, smfi_main,
 *                                 smfi_stop, signals
 *     milter-libmilter-session.c  one session: the callbacks, called in
 *                                 a thread of the session pool
 *     milter-libmilter-api.c      what a callback may call (macros,
 *                                 replies, modifications, private data)
 *     milter-libmilter-rules.c    libmilter's decisions (pure)
 *
 *   Not installed; only the smfi_* functions are exported (libmilter.sym).
 *
 * DIAGNOSTICS
 *   None.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-macros-requests.h>
#include <milter/client/milter-client.h>
#include <libmilter/mfapi.h>

G_BEGIN_DECLS

struct smfi_str {
  MilterClientContext *context;  /* the session's; outlives this struct */
  const struct smfiDesc *desc;
  void *private_data;
  /* smfi_setsymlist() per SMFIM_* stage, sent at negotiation. */
  gchar *symbol_lists[SMFIM_LAST + 1];
  /* The argv handed to xxfi_envfrom/xxfi_envrcpt, reused. */
  GPtrArray *argv;
  gboolean closed;  /* xxfi_close was called */
};

/* The registered milter (smfi_register), NULL before. */
const struct smfiDesc *_milter_libmilter_desc (void);
/* smfi_setmaxdatasize(), also from the session's negotiation. */
size_t _milter_libmilter_set_max_data_size (size_t size);
/* Everything a session needs from MilterClient's "connection-established". */
void _milter_libmilter_session_start (MilterClient *client,
                                      MilterClientContext *context,
                                      gpointer user_data);
/* The descriptor smfi_main watches: readable once smfi_stop() was called. */
gint _milter_libmilter_stop_fd (void);
/* Ends the sessions running and those that start from now on (smfi_main,
 * after the stop descriptor became readable). */
void _milter_libmilter_stop_sessions (void);

G_END_DECLS
