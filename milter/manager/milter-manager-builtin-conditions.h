/*
 * milter-manager-builtin-conditions - the S25R and Remote Network
 * applicable conditions as native engine conditions, the same rules as
 * the Ruby helpers (applicable-conditions.md §5.1, §5.2) without a Ruby
 * call per session
 *
 * SYNOPSIS
 *   MilterManagerMatcherList *white = milter_manager_matcher_list_new ();
 *   milter_manager_matcher_list_add_regex (white, "\\.google\\.com\\z", 0, &error);
 *   milter_manager_matcher_list_add_string (black, "unknown");
 *   condition = milter_manager_s25r_condition_new ("S25R", white, black, TRUE);
 *
 *   MilterManagerNetworkList *local = milter_manager_network_list_new ();
 *   milter_manager_network_list_add (local, AF_INET, address16, mask16);
 *   condition = milter_manager_remote_network_condition_new ("Remote Network",
 *                                                            local, remote);
 *
 * DESCRIPTION
 *   The binding (binding/ruby) builds these from the helpers' settings
 *   once a configuration is loaded, when every entry can be expressed
 *   here (no block, a regular expression in the common subset of Ruby's
 *   and PCRE's syntax); otherwise the Ruby stopper runs. The decisions
 *   are pure functions, declared for their table tests:
 *
 *   s25r_stop: stopped unless the client looks dynamic: a client that is
 *   not IPv4 when only IPv4 is checked, or on the white list, is stopped;
 *   then it is stopped unless on the black list.
 *
 *   remote_network_stop: stopped unless the client is remote: an address
 *   on the remote list is remote; one on the local list or local by
 *   itself (IPv4 loopback and private ranges, IPv6 ::1 and fe80::/10; a
 *   unix socket) is not; any other IP address is remote; anything that
 *   is not an IP address is not. IPv4-mapped IPv6 addresses are matched
 *   against the lists as IPv4.
 *
 *   Lists are taken (owned) by the condition.
 */
#pragma once

#include <glib.h>

#include <milter/manager/milter-manager-applicable-condition.h>

G_BEGIN_DECLS

typedef struct _MilterManagerMatcherList MilterManagerMatcherList;
/* Ruby's Regexp option bits. */
#define MILTER_MANAGER_MATCHER_IGNORECASE 1
#define MILTER_MANAGER_MATCHER_EXTENDED 2
#define MILTER_MANAGER_MATCHER_MULTILINE 4

MilterManagerMatcherList *milter_manager_matcher_list_new (void);
/* FALSE (MILTER_MANAGER_ERROR_INVALID_VALUE) for a pattern outside the
 * syntax Ruby and PCRE share: the caller then keeps its own matcher. */
gboolean milter_manager_matcher_list_add_regex (MilterManagerMatcherList *list,
                                                const gchar *ruby_source,
                                                guint ruby_options,
                                                GError **error);
void milter_manager_matcher_list_add_string (MilterManagerMatcherList *list,
                                             const gchar *text);
gboolean milter_manager_matcher_list_match (const MilterManagerMatcherList *list,
                                            const gchar *value);
void milter_manager_matcher_list_free (MilterManagerMatcherList *list);

typedef struct _MilterManagerNetworkList MilterManagerNetworkList;
MilterManagerNetworkList *milter_manager_network_list_new (void);
/* family AF_INET (the first 4 bytes count) or AF_INET6 (16). */
void milter_manager_network_list_add (MilterManagerNetworkList *list,
                                      gint family,
                                      const guint8 address[16],
                                      const guint8 mask[16]);
void milter_manager_network_list_free (MilterManagerNetworkList *list);

gboolean milter_manager_s25r_stop (const gchar *host,
                                   gboolean ipv4,
                                   const MilterManagerMatcherList *whitelist,
                                   const MilterManagerMatcherList *blacklist,
                                   gboolean only_check_ipv4);
/* family and address as the MTA's connect gives them. */
gboolean milter_manager_remote_network_stop (MilterFamily family,
                                             const gchar *address,
                                             const MilterManagerNetworkList *local,
                                             const MilterManagerNetworkList *remote);

MilterManagerApplicableCondition *
milter_manager_s25r_condition_new (const gchar *name,
                                   MilterManagerMatcherList *whitelist,
                                   MilterManagerMatcherList *blacklist,
                                   gboolean only_check_ipv4);
MilterManagerApplicableCondition *
milter_manager_remote_network_condition_new (const gchar *name,
                                             MilterManagerNetworkList *local,
                                             MilterManagerNetworkList *remote);

G_END_DECLS
