/*
 * milter-manager-children-private - the state shared by the children
 * module's files: milter-manager-children.c (lifecycle, negotiation,
 * envelope fan-out) and milter-manager-children-message.c (the message
 * stages: live child, replay, end-of-message and the final diff).
 */
#pragma once

#include <milter/manager/milter-manager-applicable-condition.h>
#include <milter/manager/milter-manager-children.h>
#include <milter/manager/milter-manager-message-store.h>
#include <milter/manager/milter-manager-reply-rules.h>

/* One child's part in the session; applicable conditions see it as
 * their MilterManagerConditionContext. */
typedef struct _MilterManagerConditionContext MilterManagerSlot;
struct _MilterManagerConditionContext {
  MilterManagerChild *child;
  MilterManagerChildren *children;
  gboolean in_connection;   /* negotiated, not quit */
  gboolean in_message;      /* processing the current message */
  guint n_accepted;         /* recipients it accepted in this message */
  gboolean in_fanout;       /* owes a reply to the current envelope event */
  /* Replay cursor: what of the stored message it has been sent. */
  guint cursor_header;
  gboolean cursor_end_of_header;
  guint64 cursor_body;
  gboolean body_skipped;
  gboolean cursor_end_of_message;
  gboolean body_replaced_by_it;
  /* Its egg's conditions that have stoppers (borrowed from the
   * configuration); NULL when none, so a child without conditions
   * costs nothing. */
  GPtrArray *conditions;
  /* A condition deferred its answer (a ticket is out). */
  MilterManagerConditionTicket *ticket;
  guint pending_condition;   /* index of that condition (or batch) */
  guint pending_next;        /* where the conditions after it start */
  guint resume_from;         /* the next stop call starts here, once */
  gboolean in_stop_call;
  gint early_answer;         /* answered inside the call: stopper + 2 */
};

struct _MilterManagerChildren {
  MilterManagerConfiguration *configuration;
  MilterEventLoop *loop;
  guint64 session_id;
  const MilterManagerChildrenCallbacks *callbacks;
  gpointer user_data;

  GPtrArray *slots;          /* MilterManagerSlot, in configuration order */
  MilterOption mta_offer;
  gboolean negotiating;
  guint negotiation_timeout_id;
  guint idle_id;
  MilterStatus negotiation_fallback;  /* D5: answers the next event once */
  gboolean recreate_at_connect;       /* after quit-new-connection (D22) */
  gchar *held_connect_host;
  gchar *held_connect_address;
  MilterFamily held_connect_family;
  guint16 held_connect_port;
  gboolean connect_held;
  /* The envelope event being fanned out, kept while a condition's
   * answer is pending: it is sent when the answer is "don't stop". */
  gboolean (*held_send) (MilterServerContext *context,
                         MilterManagerChildren *children,
                         const gchar *text, const gchar *const *args,
                         GError **error);
  gchar *held_text;
  gchar **held_args;
  guint event_serial;        /* one per MTA command */
  guint message_serial;      /* one per message */

  /* The MTA command being answered. */
  MilterServerState stage;
  GArray *counted;           /* MilterStatus */
  guint n_waiting;
  gboolean in_call;          /* inside an event function: answer by return */
  gboolean answer_owed;      /* a message command's answer was deferred */
  MilterManagerReplyCodes codes;
  gboolean rejected_recipient; /* the current RCPT was rejected by the MTA */
  gchar *call_reply_code;    /* the code of an answer given by return */
  /* DATA emulation (§2.6): the message command held while DATA runs. */
  gboolean emulating_data;
  MilterServerState held_stage;

  /* The message. */
  MilterManagerMessageStore *store;
  gboolean queue_built;
  guint live;                /* index into slots of the live child */
  gboolean mta_end_of_header;
  gboolean mta_body;
  gboolean mta_end_of_message;
  GBytes *end_of_message_data;
  gchar *change_from;
  gchar *change_from_args;
  gchar *quarantine;

  /* Applicable conditions (children-conditions.c). */
  MilterServerState condition_stage;  /* of the stopper being called */
  GHashTable *shelf;         /* the mail-transaction shelf, lazily */
  gboolean counted_session;  /* in n_processing_sessions */
};

/* children.c */
void _milter_manager_children_answer (MilterManagerChildren *children,
                                      MilterStatus status,
                                      MilterStatus *result);
void _milter_manager_children_abort_message (MilterManagerChildren *children);
void _milter_manager_children_reset_message (MilterManagerChildren *children);
MilterStatus _milter_manager_children_no_child (MilterManagerChildren *children,
                                                gboolean message);
void _milter_manager_children_begin (MilterManagerChildren *children,
                                     MilterServerState stage);
MilterStatus _milter_manager_children_take_code (MilterManagerChildren *children,
                                                 MilterManagerSlot *slot,
                                                 MilterStatus status,
                                                 const gchar *reply_code);
void _milter_manager_children_log_invalid_state (MilterManagerChildren *children,
                                                 MilterManagerSlot *slot,
                                                 MilterServerState stage,
                                                 MilterStatus status);

/* children-message.c */
void _milter_manager_children_message_reply (MilterManagerSlot *slot,
                                             MilterStatus status,
                                             const gchar *reply_code);
void _milter_manager_children_message_failed (MilterManagerSlot *slot);
void _milter_manager_children_message_modify (MilterManagerSlot *slot,
                                              const MilterManagerModification *m);
gboolean _milter_manager_children_is_message_stage (MilterServerState stage);
gboolean _milter_manager_children_resume_held (MilterManagerChildren *children,
                                               MilterStatus status);

/* children-conditions.c */
void _milter_manager_children_attach_conditions (MilterManagerSlot *slot);
void _milter_manager_children_count_session (MilterManagerChildren *children,
                                             gboolean counted);
typedef enum {
  MILTER_MANAGER_STOPPER_GO,       /* send the event */
  MILTER_MANAGER_STOPPER_STOPPED,  /* counted and taken out as the stage
                                    * requires (the effect of STOP) */
  MILTER_MANAGER_STOPPER_PENDING   /* a condition answers later */
} MilterManagerStopperOutcome;
MilterManagerStopperOutcome
_milter_manager_children_stop (MilterManagerSlot *slot,
                               const MilterManagerStopperEvent *event);
/* The slot is out of the session: its ticket, if any, answers nobody. */
void _milter_manager_children_forget_ticket (MilterManagerSlot *slot);
/* A deferred answer came (stopped: the slot is taken out already): the
 * stage goes on for the slot. */
void _milter_manager_children_resume (MilterManagerSlot *slot,
                                      MilterServerState stage,
                                      gboolean stopped);
/* children.c: an envelope stage goes on. */
void _milter_manager_children_resume_fanout (MilterManagerSlot *slot,
                                             gboolean stopped);
/* children-message.c: the live child goes on. */
void _milter_manager_children_resume_message (MilterManagerSlot *slot);
