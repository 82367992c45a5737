/*
 * milter-manager-dnsbl-condition - DNSBL conditions whose connect stopper
 * answers when the lookup ends; see milter-manager-dnsbl-condition.h.
 */
#include "config.h"

#include <arpa/inet.h>

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-dnsbl-condition.h>

typedef struct {
  gchar *name;
  gboolean stop_when_listed;
  MilterManagerDnsblZone *zones;
  guint n_zones;
  gchar *name_server;
  gdouble timeout;
} DnsblSettings;

typedef struct {
  /* Held: a reload may drop the condition while a lookup runs. */
  MilterManagerApplicableCondition *condition;
  DnsblSettings *settings;
  MilterManagerConditionTicket *ticket;
  gchar *address;
} Waiting;

static void
settings_free (gpointer data)
{
  DnsblSettings *settings = data;
  g_free (settings->name);
  g_free (settings->zones);
  g_free (settings->name_server);
  g_free (settings);
}

static gboolean
stop_for (const DnsblSettings *settings, const gchar *address, const gchar *listed_zone)
{
  if (listed_zone)
    milter_debug (0, "[dnsbl][listed] %s: %s in %s", settings->name, address, listed_zone);
  else
    milter_debug (0, "[dnsbl][not-listed] %s: %s", settings->name, address);
  return (listed_zone != NULL) == settings->stop_when_listed;
}

static void
on_lookup_done (const gchar *listed_zone, gpointer user_data)
{
  Waiting *waiting = user_data;
  /* A ticket whose session is gone ignores the answer. */
  milter_manager_condition_ticket_answer (waiting->ticket,
                                          stop_for (waiting->settings, waiting->address,
                                                    listed_zone));
  milter_manager_condition_ticket_free (waiting->ticket);
  milter_manager_applicable_condition_unref (waiting->condition);
  g_free (waiting->address);
  g_free (waiting);
}

static gboolean
stop_at_connect (MilterManagerApplicableCondition *condition,
                 MilterManagerConditionContext *context,
                 const MilterManagerStopperEvent *event,
                 gpointer user_data)
{
  DnsblSettings *settings = user_data;
  struct in_addr in;
  g_autoptr (GError) error = NULL;

  if (event->stage != MILTER_SERVER_STATE_CONNECT)
    return FALSE;
  /* Only IPv4 clients are looked up; the others are not listed. */
  if (event->family != MILTER_FAMILY_INET || !event->address ||
      inet_pton (AF_INET, event->address, &in) != 1 || settings->n_zones == 0)
    return stop_for (settings, event->address ? event->address : "", NULL);

  Waiting *waiting = g_new0 (Waiting, 1);
  waiting->condition = milter_manager_applicable_condition_ref (condition);
  waiting->settings = settings;
  waiting->address = g_strdup (event->address);
  waiting->ticket = milter_manager_condition_context_defer (context);
  if (!waiting->ticket) {
    milter_manager_applicable_condition_unref (waiting->condition);
    g_free (waiting->address);
    g_free (waiting);
    return FALSE;
  }
  if (!milter_manager_dnsbl_lookup_start (milter_manager_condition_context_get_event_loop (context),
                                          settings->name_server, ntohl (in.s_addr),
                                          settings->zones, settings->n_zones,
                                          settings->timeout, on_lookup_done, waiting, &error)) {
    milter_debug (0, "[dnsbl][error] %s: %s", settings->name, error->message);
    on_lookup_done (NULL, waiting);
  }
  return FALSE;
}

MilterManagerApplicableCondition *
milter_manager_dnsbl_condition_new (const gchar *name, gboolean stop_when_listed,
                                    const MilterManagerDnsblZone *zones, guint n_zones,
                                    const gchar *name_server, gdouble timeout)
{
  DnsblSettings *settings = g_new0 (DnsblSettings, 1);

  settings->name = g_strdup (name);
  settings->stop_when_listed = stop_when_listed;
  settings->zones = g_memdup2 (zones, sizeof (*zones) * n_zones);
  settings->n_zones = n_zones;
  settings->name_server = g_strdup (name_server);
  settings->timeout = timeout;
  return milter_manager_applicable_condition_new (name,
                                                  MILTER_MANAGER_CONDITION_STAGE (MILTER_SERVER_STATE_CONNECT),
                                                  stop_at_connect, settings, settings_free);
}
