/*
 * milter-manager-builtin-conditions - native S25R and Remote Network
 * conditions; see milter-manager-builtin-conditions.h.
 */
#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include <milter/manager/milter-manager-builtin-conditions.h>
#include <milter/manager/milter-manager-error.h>

/* ---- matcher lists --------------------------------------------------------- */

struct _MilterManagerMatcherList {
  GHashTable *strings;   /* exact values */
  GPtrArray *regexes;    /* of GRegex */
};

MilterManagerMatcherList *
milter_manager_matcher_list_new (void)
{
  MilterManagerMatcherList *list = g_new0 (MilterManagerMatcherList, 1);
  list->strings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  list->regexes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_regex_unref);
  return list;
}

/* Only what means the same to Ruby's Onigmo and to PCRE: escapes of
 * anchors, classes and punctuation; groups that are non-capturing or
 * look-arounds (Ruby's (?m) is PCRE's (?s), Ruby's \h is PCRE's \p{Xdigit}
 * ... so anything else is left to Ruby). */
static gboolean
shared_syntax (const gchar *source)
{
  for (const gchar *p = source; *p; p++) {
    if (*p == '\\') {
      p++;
      if (!*p || (g_ascii_isalnum (*p) && !strchr ("AzZbBdDwWsS", *p)))
        return FALSE;
    } else if (*p == '(' && p[1] == '?') {
      if (!(p[2] == ':' || p[2] == '=' || p[2] == '!' ||
            (p[2] == '<' && (p[3] == '=' || p[3] == '!'))))
        return FALSE;
    } else if ((guchar) *p >= 0x80) {
      return FALSE;
    }
  }
  return TRUE;
}

gboolean
milter_manager_matcher_list_add_regex (MilterManagerMatcherList *list,
                                       const gchar *ruby_source,
                                       guint ruby_options,
                                       GError **error)
{
  /* Ruby's ^ and $ are line anchors; its "m" is PCRE's DOTALL. Bytes,
   * not UTF-8: host names come as the MTA sent them. */
  GRegexCompileFlags flags = G_REGEX_MULTILINE | G_REGEX_RAW | G_REGEX_OPTIMIZE;
  GError *compile_error = NULL;

  if (!shared_syntax (ruby_source)) {
    g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_INVALID_VALUE,
                 "not in the syntax Ruby and PCRE share: /%s/", ruby_source);
    return FALSE;
  }
  if (ruby_options & MILTER_MANAGER_MATCHER_IGNORECASE)
    flags |= G_REGEX_CASELESS;
  if (ruby_options & MILTER_MANAGER_MATCHER_EXTENDED)
    flags |= G_REGEX_EXTENDED;
  if (ruby_options & MILTER_MANAGER_MATCHER_MULTILINE)
    flags |= G_REGEX_DOTALL;
  GRegex *regex = g_regex_new (ruby_source, flags, 0, &compile_error);
  if (!regex) {
    g_set_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_INVALID_VALUE,
                 "/%s/: %s", ruby_source, compile_error->message);
    g_error_free (compile_error);
    return FALSE;
  }
  g_ptr_array_add (list->regexes, regex);
  return TRUE;
}

void
milter_manager_matcher_list_add_string (MilterManagerMatcherList *list, const gchar *text)
{
  g_hash_table_add (list->strings, g_strdup (text));
}

gboolean
milter_manager_matcher_list_match (const MilterManagerMatcherList *list, const gchar *value)
{
  if (!value)
    return FALSE;
  if (g_hash_table_contains (list->strings, value))
    return TRUE;
  for (guint i = 0; i < list->regexes->len; i++)
    if (g_regex_match (list->regexes->pdata[i], value, 0, NULL))
      return TRUE;
  return FALSE;
}

void
milter_manager_matcher_list_free (MilterManagerMatcherList *list)
{
  if (!list)
    return;
  g_hash_table_unref (list->strings);
  g_ptr_array_unref (list->regexes);
  g_free (list);
}

/* ---- network lists ------------------------------------------------------- */

typedef struct {
  gint family;
  guint8 address[16];
  guint8 mask[16];
} Network;

struct _MilterManagerNetworkList {
  GArray *networks;   /* of Network */
};

MilterManagerNetworkList *
milter_manager_network_list_new (void)
{
  MilterManagerNetworkList *list = g_new0 (MilterManagerNetworkList, 1);
  list->networks = g_array_new (FALSE, TRUE, sizeof (Network));
  return list;
}

void
milter_manager_network_list_add (MilterManagerNetworkList *list, gint family,
                                 const guint8 address[16], const guint8 mask[16])
{
  Network network = { .family = family };
  memcpy (network.address, address, 16);
  memcpy (network.mask, mask, 16);
  g_array_append_val (list->networks, network);
}

void
milter_manager_network_list_free (MilterManagerNetworkList *list)
{
  if (!list)
    return;
  g_array_unref (list->networks);
  g_free (list);
}

static gboolean
network_list_contains (const MilterManagerNetworkList *list, gint family,
                       const guint8 *address)
{
  gsize size = family == AF_INET ? 4 : 16;

  for (guint i = 0; i < list->networks->len; i++) {
    const Network *network = &g_array_index (list->networks, Network, i);
    gsize j;

    if (network->family != family)
      continue;
    for (j = 0; j < size; j++)
      if ((address[j] & network->mask[j]) != (network->address[j] & network->mask[j]))
        break;
    if (j == size)
      return TRUE;
  }
  return FALSE;
}

/* ---- the rules ---------------------------------------------------------- */

gboolean
milter_manager_s25r_stop (const gchar *host, gboolean ipv4,
                          const MilterManagerMatcherList *whitelist,
                          const MilterManagerMatcherList *blacklist,
                          gboolean only_check_ipv4)
{
  if (only_check_ipv4 && !ipv4)
    return TRUE;
  if (milter_manager_matcher_list_match (whitelist, host))
    return TRUE;
  return !milter_manager_matcher_list_match (blacklist, host);
}

static gboolean
locally_ipv4 (const guint8 *a)
{
  return a[0] == 127 || a[0] == 10 || (a[0] == 172 && a[1] >= 16 && a[1] <= 31) ||
         (a[0] == 192 && a[1] == 168);
}

static gboolean
locally_ipv6 (const guint8 *a)
{
  static const guint8 loopback[16] = { [15] = 1 };
  return memcmp (a, loopback, 16) == 0 || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80);
}

gboolean
milter_manager_remote_network_stop (MilterFamily family, const gchar *address,
                                    const MilterManagerNetworkList *local,
                                    const MilterManagerNetworkList *remote)
{
  guint8 bytes[16];
  gint list_family;
  const guint8 *list_bytes = bytes;
  gboolean local_by_itself;

  if (family == MILTER_FAMILY_INET && address && inet_pton (AF_INET, address, bytes) == 1) {
    list_family = AF_INET;
    local_by_itself = locally_ipv4 (bytes);
  } else if (family == MILTER_FAMILY_INET6 && address &&
             inet_pton (AF_INET6, address, bytes) == 1) {
    static const guint8 mapped[12] = { [10] = 0xff, [11] = 0xff };
    list_family = AF_INET6;
    local_by_itself = locally_ipv6 (bytes);
    /* Matched against the lists as the IPv4 address it is. */
    if (memcmp (bytes, mapped, 12) == 0) {
      list_family = AF_INET;
      list_bytes = bytes + 12;
    }
  } else {
    /* Not an IP address: a unix socket is local, anything else unknown;
     * neither is remote. */
    return TRUE;
  }
  if (network_list_contains (remote, list_family, list_bytes))
    return FALSE;
  return network_list_contains (local, list_family, list_bytes) || local_by_itself;
}

/* ---- as conditions --------------------------------------------------------- */

typedef struct {
  MilterManagerMatcherList *whitelist;
  MilterManagerMatcherList *blacklist;
  gboolean only_check_ipv4;
} S25RSettings;

static void
s25r_settings_free (gpointer data)
{
  S25RSettings *settings = data;
  milter_manager_matcher_list_free (settings->whitelist);
  milter_manager_matcher_list_free (settings->blacklist);
  g_free (settings);
}

static gboolean
s25r_stop_at_connect (MilterManagerApplicableCondition *condition,
                      MilterManagerConditionContext *context,
                      const MilterManagerStopperEvent *event, gpointer user_data)
{
  S25RSettings *settings = user_data;
  (void) condition;
  (void) context;
  return milter_manager_s25r_stop (event->host, event->family == MILTER_FAMILY_INET,
                                   settings->whitelist, settings->blacklist,
                                   settings->only_check_ipv4);
}

MilterManagerApplicableCondition *
milter_manager_s25r_condition_new (const gchar *name, MilterManagerMatcherList *whitelist,
                                   MilterManagerMatcherList *blacklist,
                                   gboolean only_check_ipv4)
{
  S25RSettings *settings = g_new0 (S25RSettings, 1);
  settings->whitelist = whitelist;
  settings->blacklist = blacklist;
  settings->only_check_ipv4 = only_check_ipv4;
  return milter_manager_applicable_condition_new (name,
                                                  MILTER_MANAGER_CONDITION_STAGE (MILTER_SERVER_STATE_CONNECT),
                                                  s25r_stop_at_connect, settings,
                                                  s25r_settings_free);
}

typedef struct {
  MilterManagerNetworkList *local;
  MilterManagerNetworkList *remote;
} RemoteNetworkSettings;

static void
remote_network_settings_free (gpointer data)
{
  RemoteNetworkSettings *settings = data;
  milter_manager_network_list_free (settings->local);
  milter_manager_network_list_free (settings->remote);
  g_free (settings);
}

static gboolean
remote_network_stop_at_connect (MilterManagerApplicableCondition *condition,
                                MilterManagerConditionContext *context,
                                const MilterManagerStopperEvent *event, gpointer user_data)
{
  RemoteNetworkSettings *settings = user_data;
  (void) condition;
  (void) context;
  return milter_manager_remote_network_stop (event->family, event->address,
                                             settings->local, settings->remote);
}

MilterManagerApplicableCondition *
milter_manager_remote_network_condition_new (const gchar *name,
                                             MilterManagerNetworkList *local,
                                             MilterManagerNetworkList *remote)
{
  RemoteNetworkSettings *settings = g_new0 (RemoteNetworkSettings, 1);
  settings->local = local;
  settings->remote = remote;
  return milter_manager_applicable_condition_new (name,
                                                  MILTER_MANAGER_CONDITION_STAGE (MILTER_SERVER_STATE_CONNECT),
                                                  remote_network_stop_at_connect, settings,
                                                  remote_network_settings_free);
}
