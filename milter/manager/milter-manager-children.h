/*
 * milter-manager-children - one session's set of child milters
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-children.h>
 *
 *   children = milter_manager_children_new (configuration, loop, session_id,
 *                                           &callbacks, data);
 *   milter_manager_children_negotiate (children, &mta_offer);
 *   milter_manager_children_set_macros (children, 'C', macros);
 *   MilterStatus status = milter_manager_children_connect (children, ...);
 *   ... helo, envelope_from, envelope_recipient, data, unknown, header,
 *   end_of_header, body, end_of_message ...
 *   milter_manager_children_abort (children);
 *   milter_manager_children_quit (children);
 *   milter_manager_children_free (children);
 *
 * DESCRIPTION
 *   The engine of one MTA session (manager-behaviour.md): it hatches one
 *   child per enabled egg at the MTA's negotiate and connects them all
 *   in parallel, sends envelope events to every child concerned at once
 *   (the reply comes when the last one answers, so latency is the
 *   slowest child's), streams the message to the live child and replays
 *   it, with the earlier children's edits, to each later child, and at
 *   end-of-message gives the MTA the difference between what it sent
 *   and the final message. Every decision is a call into
 *   milter-manager-reply-rules, milter-manager-header-diff and
 *   milter-manager-message-store; this module holds the state and moves
 *   the data.
 *
 *   Each event function returns the MTA's reply when it is known at
 *   once, or MILTER_STATUS_NOT_CHANGE, and then the "reply" callback
 *   gives it later, exactly once (D2). negotiate() always answers
 *   through "negotiated" (with no child configured, on the next loop
 *   turn); its last argument says no child negotiated, and the MTA
 *   connection should be closed (D1).
 *
 *   At end-of-message, before the reply, the "modify" callback gives the
 *   MTA's modifications in sending order: replaced body chunks (one
 *   empty chunk for an emptied body, D16), header edits (CHANGE_HEADER,
 *   DELETE_HEADER, INSERT_HEADER, ADD_HEADER from the diff), change-from,
 *   quarantine. Recipient changes and progress pass through at once.
 *
 *   Each child carries its egg's applicable conditions; before a
 *   stage's event goes to a child, its stoppers may stop it
 *   (applicable-conditions.md §1.1, milter-manager-children-conditions.c).
 *
 *   quit_new_connection() (D22) quits the children and re-creates them
 *   at the next connect, negotiating with the MTA's first offer.
 *
 * DIAGNOSTICS
 *   Log rows of manager-behaviour.md §1.4-§7 ([children]... and
 *   [leader][error]...), each with the session id.
 */
#pragma once

#include <milter/core/milter-event-loop.h>
#include <milter/manager/milter-manager-child.h>
#include <milter/manager/milter-manager-configuration.h>

G_BEGIN_DECLS

typedef struct _MilterManagerChildren MilterManagerChildren;

typedef struct {
  /* reply NULL-safe: the reply to send; none_left: close the MTA side. */
  void (*negotiated) (const MilterOption *reply,
                      const MilterMacrosRequests *macros,
                      gboolean none_left,
                      gpointer user_data);
  void (*reply) (MilterStatus status, const gchar *reply_code,
                 gpointer user_data);
  void (*progress) (gpointer user_data);
  void (*modify) (const MilterManagerModification *modification,
                  gpointer user_data);
} MilterManagerChildrenCallbacks;

MilterManagerChildren *
milter_manager_children_new (MilterManagerConfiguration *configuration,
                             MilterEventLoop *loop,
                             guint64 session_id,
                             const MilterManagerChildrenCallbacks *callbacks,
                             gpointer user_data);
void milter_manager_children_free (MilterManagerChildren *children);

void milter_manager_children_negotiate (MilterManagerChildren *children,
                                        const MilterOption *mta_offer);
/* macros: names without braces (as the client context keeps them). */
void milter_manager_children_set_macros (MilterManagerChildren *children,
                                         guint8 command,
                                         GHashTable *macros);

MilterStatus milter_manager_children_connect (MilterManagerChildren *children,
                                              const gchar *host,
                                              MilterFamily family,
                                              guint16 port,
                                              const gchar *address);
MilterStatus milter_manager_children_helo (MilterManagerChildren *children,
                                           const gchar *fqdn);
MilterStatus milter_manager_children_envelope_from (MilterManagerChildren *children,
                                                    const gchar *from,
                                                    const gchar *const *args);
/* rejected: the MTA already rejected it (RCPT_REJ, D21): only children
 * that negotiated RCPT_REJ get it, and it counts for nobody's DATA. */
MilterStatus milter_manager_children_envelope_recipient (MilterManagerChildren *children,
                                                         const gchar *recipient,
                                                         const gchar *const *args,
                                                         gboolean rejected);
MilterStatus milter_manager_children_data (MilterManagerChildren *children);
MilterStatus milter_manager_children_unknown (MilterManagerChildren *children,
                                              const gchar *command);
MilterStatus milter_manager_children_header (MilterManagerChildren *children,
                                             const gchar *name,
                                             const gchar *value);
MilterStatus milter_manager_children_end_of_header (MilterManagerChildren *children);
MilterStatus milter_manager_children_body (MilterManagerChildren *children,
                                           const guint8 *data,
                                           gsize size);
MilterStatus milter_manager_children_end_of_message (MilterManagerChildren *children,
                                                     const guint8 *data,
                                                     gsize size);
void milter_manager_children_abort (MilterManagerChildren *children);
/* The SMTP client is gone (manager-behaviour.md §5): every child still
 * in the connection is aborted, not only those in a message, except one
 * that owes a reply (the quit that follows closes it). */
void milter_manager_children_abort_connection (MilterManagerChildren *children);
void milter_manager_children_quit (MilterManagerChildren *children);
void milter_manager_children_quit_new_connection (MilterManagerChildren *children);
/* The SMTP reply text of the answer an event function just returned
 * (NULL: the plain status). (transfer full) */
gchar *milter_manager_children_take_reply_code (MilterManagerChildren *children);
/* Replaces the callbacks (the leader is going away). */
void milter_manager_children_detach (MilterManagerChildren *children,
                                     const MilterManagerChildrenCallbacks *callbacks);
/* TRUE while a child connection is still open (quit not yet answered). */
gboolean milter_manager_children_is_closing (MilterManagerChildren *children);
/* TRUE while a child owes a reply to a command of the MTA. */
gboolean milter_manager_children_is_waiting (MilterManagerChildren *children);

G_END_DECLS
