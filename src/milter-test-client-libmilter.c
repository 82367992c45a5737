/*
 * milter-test-client-libmilter - milter-test-client written against the libmilter API
 *
 * SYNOPSIS
 *   milter-test-client-libmilter [-s SPEC] [-v] [--no-report-request]
 *                                [--report-memory-profile] [--version]
 *
 * DESCRIPTION
 *   A milter that continues at every event (accepts at end-of-message)
 *   and prints each event on standard output in milter-test-client's
 *   format ("negotiate: version=<6>, action=<...>, step=<...>",
 *   "connect: host=<H>, address=<SPEC>", "helo: <FQDN>", "header:
 *   <NAME: VALUE>", "body: <CHUNK>", "end-of-message", "abort",
 *   "finished"), each followed by "macros:" and "  NAME=VALUE" lines for
 *   the macros of that event. It uses only smfi_* (it shows the API of
 *   milter-manager's libmilter-compatible library in use), so it prints
 *   the macros it can ask smfi_getsymval for: the well-known ones of each
 *   stage (Sendmail's and Postfix's defaults). The version printed at
 *   negotiation is the library's protocol version (the API does not give
 *   the MTA's).
 *
 *   At negotiation it takes the MTA's actions and removes the
 *   "recipient rejected", "header value with leading space", every
 *   "no ..." and every "no reply" step from the offer: it wants every
 *   event and replies to all.
 *
 *   -s, --connection-spec SPEC  where to listen (default
 *                               $MILTER_DEFAULT_CONNECTION_SPEC, else
 *                               inet:10025@[127.0.0.1])
 *   -v, --verbose               library debug level 6 (smfi_setdbg)
 *   --no-report-request         print nothing per event
 *   --report-memory-profile     after each session print
 *                               "memory: RSS=<KiB> KiB" (from ps(1))
 *   --version                   print the version number and exit
 *
 * DIAGNOSTICS
 *   Exit status 0 after a clean stop (SIGTERM, SIGINT, SIGHUP), 1 when
 *   the socket cannot be set up or an option is bad.
 */
#include "config.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <glib.h>

#include <libmilter/mfapi.h>

#include "milter-test-client-flags.h"

#define DEFAULT_SPEC "inet:10025@[127.0.0.1]"

static gboolean report_request = TRUE;
static gboolean report_memory;

/* The macros each event may carry, as the MTA names them. */
static const char *const connect_macros[] = {
  "j", "_", "{daemon_name}", "{daemon_addr}", "{client_addr}",
  "{client_name}", "{client_port}", "{if_name}", "{if_addr}", "v", NULL
};
static const char *const helo_macros[] = {
  "{tls_version}", "{cipher}", "{cipher_bits}", "{cert_subject}",
  "{cert_issuer}", NULL
};
static const char *const envelope_from_macros[] = {
  "i", "{auth_type}", "{auth_authen}", "{auth_ssf}", "{auth_author}",
  "{mail_addr}", "{mail_host}", "{mail_mailer}", NULL
};
static const char *const envelope_recipient_macros[] = {
  "i", "{rcpt_addr}", "{rcpt_host}", "{rcpt_mailer}", NULL
};
static const char *const message_macros[] = { "i", NULL };
static const char *const no_macros[] = { NULL };

/* One event: its line and its macros, printed together (sessions run in
 * threads of their own). */
static void
report (SMFICTX *ctx, const char *const *macros, const char *format, ...)
{
  GString *out;
  gboolean header = FALSE;
  va_list args;

  if (!report_request)
    return;
  out = g_string_new (NULL);
  va_start (args, format);
  g_string_append_vprintf (out, format, args);
  va_end (args);
  g_string_append_c (out, '\n');
  for (guint i = 0; macros[i]; i++) {
    const char *value = smfi_getsymval (ctx, (char *) macros[i]);

    if (!value)
      continue;
    if (!header)
      g_string_append (out, "macros:\n");
    header = TRUE;
    g_string_append_printf (out, "  %s=%s\n", macros[i], value);
  }
  flockfile (stdout);
  fputs (out->str, stdout);
  fflush (stdout);
  funlockfile (stdout);
  g_string_free (out, TRUE);
}

static sfsistat
on_negotiate (SMFICTX *ctx, unsigned long actions, unsigned long steps,
              unsigned long unused2, unsigned long unused3,
              unsigned long *wanted_actions, unsigned long *wanted_steps,
              unsigned long *wanted2, unsigned long *wanted3)
{
  const unsigned long unwanted =
    SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOMAIL | SMFIP_NORCPT |
    SMFIP_NOBODY | SMFIP_NOHDRS | SMFIP_NOEOH | SMFIP_NOUNKNOWN |
    SMFIP_NODATA | SMFIP_RCPT_REJ | SMFIP_HDR_LEADSPC | SMFIP_NR_HDR |
    SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_RCPT |
    SMFIP_NR_DATA | SMFIP_NR_UNKN | SMFIP_NR_EOH | SMFIP_NR_BODY;
  GString *action_names = g_string_new (NULL);
  GString *step_names = g_string_new (NULL);

  (void) unused2;
  (void) unused3;
  milter_test_client_append_actions (action_names, (guint32) actions);
  milter_test_client_append_steps (step_names, (guint32) steps);
  report (ctx, no_macros, "negotiate: version=<%d>, action=<%s>, step=<%s>",
          SMFI_PROT_VERSION, action_names->str, step_names->str);
  g_string_free (action_names, TRUE);
  g_string_free (step_names, TRUE);
  *wanted_actions = actions;
  *wanted_steps = steps & ~unwanted;
  *wanted2 = 0;
  *wanted3 = 0;
  return SMFIS_CONTINUE;
}

static sfsistat
on_connect (SMFICTX *ctx, char *host, _SOCK_ADDR *address)
{
  char text[INET6_ADDRSTRLEN] = "";
  char *spec;

  if (!address) {
    spec = g_strdup ("unknown");
  } else if (address->sa_family == AF_INET) {
    struct sockaddr_in *in = (struct sockaddr_in *) address;

    inet_ntop (AF_INET, &in->sin_addr, text, sizeof (text));
    spec = g_strdup_printf ("inet:%u@[%s]", ntohs (in->sin_port), text);
  } else if (address->sa_family == AF_INET6) {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) address;

    inet_ntop (AF_INET6, &in6->sin6_addr, text, sizeof (text));
    spec = g_strdup_printf ("inet6:%u@[%s]", ntohs (in6->sin6_port), text);
  } else if (address->sa_family == AF_UNIX) {
    spec = g_strdup_printf ("unix:%s",
                            ((struct sockaddr_un *) address)->sun_path);
  } else {
    spec = g_strdup ("unknown");
  }
  report (ctx, connect_macros, "connect: host=<%s>, address=<%s>", host, spec);
  g_free (spec);
  return SMFIS_CONTINUE;
}

static sfsistat
on_helo (SMFICTX *ctx, char *fqdn)
{
  report (ctx, helo_macros, "helo: <%s>", fqdn);
  return SMFIS_CONTINUE;
}

static sfsistat
on_envelope_from (SMFICTX *ctx, char **argv)
{
  report (ctx, envelope_from_macros, "envelope-from: <%s>", argv[0]);
  return SMFIS_CONTINUE;
}

static sfsistat
on_envelope_recipient (SMFICTX *ctx, char **argv)
{
  report (ctx, envelope_recipient_macros, "envelope-recipient: <%s>", argv[0]);
  return SMFIS_CONTINUE;
}

static sfsistat
on_data (SMFICTX *ctx)
{
  report (ctx, message_macros, "data");
  return SMFIS_CONTINUE;
}

static sfsistat
on_unknown (SMFICTX *ctx, const char *command)
{
  report (ctx, no_macros, "unknown: <%s>", command);
  return SMFIS_CONTINUE;
}

static sfsistat
on_header (SMFICTX *ctx, char *name, char *value)
{
  report (ctx, no_macros, "header: <%s: %s>", name, value);
  return SMFIS_CONTINUE;
}

static sfsistat
on_end_of_header (SMFICTX *ctx)
{
  report (ctx, message_macros, "end-of-header");
  return SMFIS_CONTINUE;
}

static sfsistat
on_body (SMFICTX *ctx, unsigned char *chunk, size_t size)
{
  report (ctx, no_macros, "body: <%.*s>", (int) size, (const char *) chunk);
  return SMFIS_CONTINUE;
}

static sfsistat
on_end_of_message (SMFICTX *ctx)
{
  report (ctx, message_macros, "end-of-message");
  return SMFIS_ACCEPT;
}

static sfsistat
on_abort (SMFICTX *ctx)
{
  report (ctx, no_macros, "abort");
  return SMFIS_CONTINUE;
}

static void
report_rss (void)
{
  char command[64];
  char rss[64] = "";
  FILE *ps;

  snprintf (command, sizeof (command), "ps -o rss= -p %d", (int) getpid ());
  ps = popen (command, "r");
  if (!ps)
    return;
  if (fgets (rss, sizeof (rss), ps))
    printf ("memory: RSS=%ld KiB\n", strtol (rss, NULL, 10));
  fflush (stdout);
  pclose (ps);
}

static sfsistat
on_close (SMFICTX *ctx)
{
  report (ctx, no_macros, "finished");
  if (report_memory)
    report_rss ();
  return SMFIS_CONTINUE;
}

static struct smfiDesc description = {
  .xxfi_name = "milter-test-client-libmilter",
  .xxfi_version = SMFI_VERSION,
  .xxfi_flags = SMFIF_NONE,
  .xxfi_connect = on_connect,
  .xxfi_helo = on_helo,
  .xxfi_envfrom = on_envelope_from,
  .xxfi_envrcpt = on_envelope_recipient,
  .xxfi_header = on_header,
  .xxfi_eoh = on_end_of_header,
  .xxfi_body = on_body,
  .xxfi_eom = on_end_of_message,
  .xxfi_abort = on_abort,
  .xxfi_close = on_close,
  .xxfi_unknown = on_unknown,
  .xxfi_data = on_data,
  .xxfi_negotiate = on_negotiate,
};

int
main (int argc, char **argv)
{
  enum { OPT_NO_REPORT = 256, OPT_MEMORY, OPT_VERSION };
  static const struct option options[] = {
    { "connection-spec", required_argument, NULL, 's' },
    { "verbose", no_argument, NULL, 'v' },
    { "no-report-request", no_argument, NULL, OPT_NO_REPORT },
    { "report-memory-profile", no_argument, NULL, OPT_MEMORY },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 }
  };
  const char *spec = g_getenv ("MILTER_DEFAULT_CONNECTION_SPEC");
  int option;

  if (!spec || !*spec)
    spec = DEFAULT_SPEC;
  while ((option = getopt_long (argc, argv, "s:v", options, NULL)) != -1) {
    switch (option) {
    case 's':
      spec = optarg;
      break;
    case 'v':
      smfi_setdbg (6);
      break;
    case OPT_NO_REPORT:
      report_request = FALSE;
      break;
    case OPT_MEMORY:
      report_memory = TRUE;
      break;
    case OPT_VERSION:
      printf ("%s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    default:
      fprintf (stderr, "usage: %s [-s SPEC] [-v] [--no-report-request] "
               "[--report-memory-profile] [--version]\n", argv[0]);
      return EXIT_FAILURE;
    }
  }
  if (optind < argc) {
    fprintf (stderr, "%s: unexpected argument '%s'\n", argv[0], argv[optind]);
    return EXIT_FAILURE;
  }
  if (smfi_setconn ((char *) spec) != MI_SUCCESS ||
      smfi_register (description) != MI_SUCCESS ||
      smfi_opensocket (true) != MI_SUCCESS) {
    fprintf (stderr, "%s: cannot listen on %s\n", argv[0], spec);
    return EXIT_FAILURE;
  }
  return smfi_main () == MI_SUCCESS ? EXIT_SUCCESS : EXIT_FAILURE;
}
