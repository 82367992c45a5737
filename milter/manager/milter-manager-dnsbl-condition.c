/*
 * milter-manager-dnsbl-condition - DNSBL conditions whose connect stopper
 * answers when the lookup ends; see milter-manager-dnsbl-condition.h.
 */
#include "config.h"

#include <arpa/inet.h>

#include <milter/core/milter-logger.h>
#include <milter/manager/milter-manager-dnsbl-condition.h>

typedef struct {
  gboolean stop_when_listed;
  MilterManagerDnsblZone *zones;
  guint n_zones;
  gchar *name_server;
  gdouble timeout;
  /* What makes two conditions' lookups the same lookup. */
  gchar *signature;
} DnsblSettings;

typedef struct {
  /* Held: a reload may drop the condition while a lookup runs. */
  MilterManagerApplicableCondition *condition;
  MilterManagerConditionTicket *ticket;
} Waiting;

/* "DNSBL Listed" and "Not DNSBL Listed" on two children ask the same
 * question of the same client: one lookup answers every waiter. Keyed
 * by loop, address and signature; sessions of other threads have other
 * loops, hence the lock. */
typedef struct {
  gchar *key;
  gchar *address;
  GPtrArray *waiters;   /* of Waiting * */
} Shared;

static GMutex in_flight_lock;
static GHashTable *in_flight;   /* key -> Shared *, while the lookup runs */

static void
settings_free (gpointer data)
{
  DnsblSettings *settings = data;
  g_free (settings->zones);
  g_free (settings->name_server);
  g_free (settings->signature);
  g_free (settings);
}

static gboolean
stop_for (MilterManagerApplicableCondition *condition, const gchar *address,
          const gchar *listed_zone)
{
  const DnsblSettings *settings = milter_manager_applicable_condition_get_user_data (condition);
  const gchar *name = milter_manager_applicable_condition_get_name (condition);

  if (listed_zone)
    milter_debug (0, "[dnsbl][listed] %s: %s in %s", name, address, listed_zone);
  else
    milter_debug (0, "[dnsbl][not-listed] %s: %s", name, address);
  return (listed_zone != NULL) == settings->stop_when_listed;
}

static void
answer (Waiting *waiting, const gchar *address, const gchar *listed_zone)
{
  /* A ticket whose session is gone ignores the answer. */
  milter_manager_condition_ticket_answer (waiting->ticket,
                                          stop_for (waiting->condition, address, listed_zone));
  milter_manager_condition_ticket_free (waiting->ticket);
  milter_manager_applicable_condition_unref (waiting->condition);
  g_free (waiting);
}

static void
on_lookup_done (const gchar *listed_zone, gpointer user_data)
{
  Shared *shared = user_data;

  g_mutex_lock (&in_flight_lock);
  g_hash_table_remove (in_flight, shared->key);
  g_mutex_unlock (&in_flight_lock);
  for (guint i = 0; i < shared->waiters->len; i++)
    answer (shared->waiters->pdata[i], shared->address, listed_zone);
  g_ptr_array_unref (shared->waiters);
  g_free (shared->address);
  g_free (shared->key);
  g_free (shared);
}

static gboolean
stop_at_connect (MilterManagerApplicableCondition *condition,
                 MilterManagerConditionContext *context,
                 const MilterManagerStopperEvent *event,
                 gpointer user_data)
{
  DnsblSettings *settings = user_data;
  MilterEventLoop *loop = milter_manager_condition_context_get_event_loop (context);
  struct in_addr in;

  if (event->stage != MILTER_SERVER_STATE_CONNECT)
    return FALSE;
  /* Only IPv4 clients are looked up; the others are not listed. */
  if (event->family != MILTER_FAMILY_INET || !event->address ||
      inet_pton (AF_INET, event->address, &in) != 1 || settings->n_zones == 0)
    return stop_for (condition, event->address ? event->address : "", NULL);

  Waiting *waiting = g_new0 (Waiting, 1);
  waiting->ticket = milter_manager_condition_context_defer (context);
  if (!waiting->ticket) {
    g_free (waiting);
    return FALSE;
  }
  waiting->condition = milter_manager_applicable_condition_ref (condition);

  g_autofree gchar *key = g_strdup_printf ("%p|%s|%s", (gpointer) loop, event->address,
                                           settings->signature);
  g_mutex_lock (&in_flight_lock);
  if (!in_flight)
    in_flight = g_hash_table_new (g_str_hash, g_str_equal);
  Shared *shared = g_hash_table_lookup (in_flight, key);
  if (shared) {
    g_ptr_array_add (shared->waiters, waiting);
    g_mutex_unlock (&in_flight_lock);
    return FALSE;
  }
  shared = g_new0 (Shared, 1);
  shared->key = g_steal_pointer (&key);
  shared->address = g_strdup (event->address);
  shared->waiters = g_ptr_array_new ();
  g_ptr_array_add (shared->waiters, waiting);
  g_hash_table_insert (in_flight, shared->key, shared);
  g_mutex_unlock (&in_flight_lock);

  g_autoptr (GError) error = NULL;
  if (!milter_manager_dnsbl_lookup_start (loop, settings->name_server, ntohl (in.s_addr),
                                          settings->zones, settings->n_zones,
                                          settings->timeout, on_lookup_done, shared, &error)) {
    milter_debug (0, "[dnsbl][error] %s: %s",
                  milter_manager_applicable_condition_get_name (condition), error->message);
    on_lookup_done (NULL, shared);
  }
  return FALSE;
}

MilterManagerApplicableCondition *
milter_manager_dnsbl_condition_new (const gchar *name, gboolean stop_when_listed,
                                    const MilterManagerDnsblZone *zones, guint n_zones,
                                    const gchar *name_server, gdouble timeout)
{
  DnsblSettings *settings = g_new0 (DnsblSettings, 1);
  GString *signature = g_string_new (NULL);

  settings->stop_when_listed = stop_when_listed;
  settings->zones = g_memdup2 (zones, sizeof (*zones) * n_zones);
  settings->n_zones = n_zones;
  settings->name_server = g_strdup (name_server);
  settings->timeout = timeout;
  g_string_append_printf (signature, "%s|%g", name_server ? name_server : "", timeout);
  for (guint i = 0; i < n_zones; i++)
    g_string_append_printf (signature, "|%s=%d:%08x/%u", zones[i].name, zones[i].has_expected,
                            zones[i].expected, zones[i].expected_prefix);
  settings->signature = g_string_free (signature, FALSE);
  return milter_manager_applicable_condition_new (name,
                                                  MILTER_MANAGER_CONDITION_STAGE (MILTER_SERVER_STATE_CONNECT),
                                                  stop_at_connect, settings, settings_free);
}
