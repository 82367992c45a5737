/*
 * milter-macros-requests - the macro names a milter asks for, per stage
 *
 * SYNOPSIS
 *   #include <milter/core/milter-macros-requests.h>
 *
 *   MilterMacrosRequests *milter_macros_requests_new (void);
 *   MilterMacrosRequests *milter_macros_requests_copy (requests);
 *   void milter_macros_requests_free (requests);
 *   gboolean milter_macros_requests_add (requests, stage, name);
 *   void milter_macros_requests_set_from_string (requests, stage, names);
 *   const gchar * const *milter_macros_requests_get (requests, stage);
 *   gboolean milter_macros_requests_contains (requests, stage, name);
 *   gchar *milter_macros_requests_to_string (requests, stage);
 *   void milter_macros_requests_merge_union (dest, src);
 *   gboolean milter_macros_requests_equal (a, b);
 *   gboolean milter_macros_requests_is_empty (requests);
 *   void milter_macros_requests_foreach (requests, func, user_data);
 *
 * DESCRIPTION
 *   A protocol-6 negotiate reply may set, per MilterMacroStage, the list of
 *   macros the MTA sends ("j {daemon_name} _"). This value holds one
 *   ordered list per stage, without duplicates. The manager unions its
 *   children's lists (milter_macros_requests_merge_union: dest's order
 *   first, then names only src has, in src's order) and sends the union to
 *   the MTA.
 *
 *   Name matching: "{name}" and "name" are the same macro. Sendmail writes
 *   multi-character names braced and reads "{j}" as "j"; some milters omit
 *   the braces. The first spelling added is kept, so the wire string
 *   reflects what was asked first. Otherwise names compare exactly (macro
 *   names are case-sensitive: "i" and "I" differ).
 *
 *   The wire string is names separated by spaces; parsing skips repeated,
 *   leading and trailing spaces and tabs. A stage with no names has an
 *   empty list; milter_macros_requests_get() then returns an empty array,
 *   never NULL.
 *
 * DIAGNOSTICS
 *   None: every string is a valid list. A stage outside
 *   0..MILTER_MACRO_STAGE_COUNT-1 is a programming error (g_return_if_fail).
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-protocol.h>

G_BEGIN_DECLS

typedef struct _MilterMacrosRequests MilterMacrosRequests;

#define MILTER_TYPE_MACROS_REQUESTS (milter_macros_requests_get_type ())
GType milter_macros_requests_get_type (void) G_GNUC_CONST;

/* Called for each stage that has names, in stage order. */
typedef void (*MilterMacrosRequestsForeachFunc) (MilterMacroStage stage,
                                                 const gchar * const *names,
                                                 gpointer user_data);

MilterMacrosRequests *milter_macros_requests_new (void);
MilterMacrosRequests *milter_macros_requests_copy (const MilterMacrosRequests *requests);
void milter_macros_requests_free (MilterMacrosRequests *requests);

/* TRUE if added, FALSE if the name (or its other spelling) was there or
 * is empty. */
gboolean milter_macros_requests_add (MilterMacrosRequests *requests,
                                     MilterMacroStage stage,
                                     const gchar *name);
/* Replaces the stage's list; NULL or "" empties it. */
void milter_macros_requests_set_from_string (MilterMacrosRequests *requests,
                                             MilterMacroStage stage,
                                             const gchar *names);
const gchar * const *milter_macros_requests_get (const MilterMacrosRequests *requests,
                                                 MilterMacroStage stage);
gboolean milter_macros_requests_contains (const MilterMacrosRequests *requests,
                                          MilterMacroStage stage,
                                          const gchar *name);
/* The wire string; "" for an empty stage. */
gchar *milter_macros_requests_to_string (const MilterMacrosRequests *requests,
                                         MilterMacroStage stage);
void milter_macros_requests_merge_union (MilterMacrosRequests *dest,
                                         const MilterMacrosRequests *src);
/* Same names in the same order at every stage (names matched as above). */
gboolean milter_macros_requests_equal (const MilterMacrosRequests *a,
                                       const MilterMacrosRequests *b);
gboolean milter_macros_requests_is_empty (const MilterMacrosRequests *requests);
void milter_macros_requests_foreach (const MilterMacrosRequests *requests,
                                     MilterMacrosRequestsForeachFunc func,
                                     gpointer user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterMacrosRequests, milter_macros_requests_free)

G_END_DECLS
