/*
 * milter-manager-dnsbl-condition - the "DNSBL Listed" and "Not DNSBL
 * Listed" applicable conditions as native engine conditions
 * (applicable-conditions.md §5.8)
 *
 * SYNOPSIS
 *   condition = milter_manager_dnsbl_condition_new ("DNSBL Listed", FALSE,
 *                                                   zones, n_zones,
 *                                                   name_server, 5.0);
 *   milter_manager_configuration_add_applicable_condition (configuration, condition);
 *
 * DESCRIPTION
 *   A connect stopper: for an IPv4 client it defers its answer, looks
 *   the client up under every zone at once (milter-manager-dnsbl.h) on
 *   the session's event loop, and answers when the lookup ends, so only
 *   that session waits, at most the timeout. Any other client is not
 *   listed. The child is stopped when the client is listed if
 *   stop_when_listed ("Not DNSBL Listed"), else when it is not ("DNSBL
 *   Listed"). name_server NULL: the system's (resolv.conf). Conditions
 *   with the same zones, name server and timeout that ask about the
 *   same client at the same time share one lookup.
 *
 * DIAGNOSTICS
 *   debug [dnsbl][listed] NAME: ADDRESS in ZONE, [dnsbl][not-listed]
 *   NAME: ADDRESS; a name server that cannot be used is logged as
 *   [dnsbl][error] and counts as not listed.
 */
#pragma once

#include <milter/manager/milter-manager-applicable-condition.h>
#include <milter/manager/milter-manager-dnsbl.h>

G_BEGIN_DECLS

MilterManagerApplicableCondition *
milter_manager_dnsbl_condition_new (const gchar *name,
                                    gboolean stop_when_listed,
                                    const MilterManagerDnsblZone *zones,
                                    guint n_zones,
                                    const gchar *name_server,
                                    gdouble timeout);

G_END_DECLS
