/*
 * milter-session-driver - a plain blocking MTA-side driver for benchmarks
 *
 * SYNOPSIS
 *   milter-session-driver inet:PORT@ADDRESS N_SESSIONS
 *   milter-session-driver unix:PATH N_SESSIONS
 *
 * DESCRIPTION
 *   Runs N_SESSIONS whole milter sessions one after another against the
 *   milter at the IPv4 address or unix socket: connect (TCP_NODELAY), negotiate (version 6, all
 *   actions, no step flags), connect, helo, envelope-from, envelope-
 *   recipient, data, one header, end-of-header, a 20-byte body,
 *   end-of-message, quit, then waits for the milter to close its side
 *   (end of file) before it closes. Each command is written with one write
 *   and its reply read with blocking reads before the next is sent.
 *
 *   It deliberately shares no code with this project (no GLib, no event
 *   loop, packets built by hand), so that it measures milters on our
 *   library and on Sendmail's libmilter through the same independent
 *   path. Prints sessions per second and the p50/p99 of the whole-session
 *   time (connect to the milter's close).
 *
 * DIAGNOSTICS
 *   Exits 1 with a message on the first failed connection, short read or
 *   unexpected reply.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
die (const char *what)
{
  perror (what);
  exit (1);
}

/* Appends one packet (length, command, payload) to buf at *len. */
static void
packet (char *buf, size_t *len, char command, const void *payload, size_t size)
{
  uint32_t n = htonl ((uint32_t) size + 1);
  memcpy (buf + *len, &n, 4);
  buf[*len + 4] = command;
  memcpy (buf + *len + 5, payload, size);
  *len += 5 + size;
}

static void
read_all (int fd, void *buf, size_t size)
{
  size_t done = 0;
  while (done < size) {
    ssize_t n = read (fd, (char *) buf + done, size - done);
    if (n <= 0)
      die ("read");
    done += (size_t) n;
  }
}

/* Reads replies until one that ends the event; returns its command. */
static char
read_reply (int fd)
{
  static char payload[70000];
  for (;;) {
    uint32_t n;
    char command;
    read_all (fd, &n, 4);
    n = ntohl (n);
    if (n < 1 || n > sizeof payload)
      die ("reply length");
    read_all (fd, &command, 1);
    read_all (fd, payload, n - 1);
    /* Modifications and progress come before the final reply. */
    if (!strchr ("+-2behimpq", command))
      return command;
  }
}

static void
send_all (int fd, const char *buf, size_t len)
{
  if (write (fd, buf, len) != (ssize_t) len)
    die ("write");
}

static int
compare (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  if (argc != 3) {
    fprintf (stderr, "usage: %s inet:PORT@ADDRESS|unix:PATH N_SESSIONS\n",
             argv[0]);
    return 1;
  }
  struct sockaddr_storage address = { 0 };
  socklen_t address_size;
  int family;
  if (strncmp (argv[1], "unix:", 5) == 0) {
    struct sockaddr_un *un = (struct sockaddr_un *) &address;
    un->sun_family = family = AF_UNIX;
    snprintf (un->sun_path, sizeof un->sun_path, "%s", argv[1] + 5);
    address_size = sizeof *un;
  } else {
    struct sockaddr_in *in = (struct sockaddr_in *) &address;
    const char *at = strchr (argv[1], '@');
    if (strncmp (argv[1], "inet:", 5) != 0 || !at ||
        inet_pton (AF_INET, at + 1, &in->sin_addr) != 1) {
      fprintf (stderr, "bad spec: %s\n", argv[1]);
      return 1;
    }
    in->sin_family = family = AF_INET;
    in->sin_port = htons ((uint16_t) atoi (argv[1] + 5));
    address_size = sizeof *in;
  }
  int n_sessions = atoi (argv[2]);
  double *times = calloc ((size_t) n_sessions, sizeof *times);

  static const char negotiate[] = { 0, 0, 0, 6, 0, 0, 1, 0xff, 0, 0, 0, 0 };
  static const char connect_[] = "client.example\0" "4\x00\x19" "192.0.2.1";
  static const char helo[] = "client.example";
  static const char from[] = "<alice@example.org>";
  static const char rcpt[] = "<bob@example.net>";
  static const char header[] = "Subject\0hello";
  static const char body[] = "Hello Bob.\r\nAlice.\r\n";
  char buf[512];

  double start = now ();
  for (int i = 0; i < n_sessions; i++) {
    double t0 = now ();
    int fd = socket (family, SOCK_STREAM, 0);
    int on = 1;
    if (fd < 0)
      die ("socket");
    if (family == AF_INET)
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    if (connect (fd, (struct sockaddr *) &address, address_size) < 0)
      die ("connect");
    struct { char command; const char *data; size_t size; } steps[] = {
      { 'O', negotiate, sizeof negotiate },
      { 'C', connect_, sizeof connect_ },
      { 'H', helo, sizeof helo },
      { 'M', from, sizeof from },
      { 'R', rcpt, sizeof rcpt },
      { 'T', "", 0 },
      { 'L', header, sizeof header },
      { 'N', "", 0 },
      { 'B', body, sizeof body - 1 },
      { 'E', "", 0 },
    };
    for (size_t s = 0; s < sizeof steps / sizeof steps[0]; s++) {
      size_t len = 0;
      packet (buf, &len, steps[s].command, steps[s].data, steps[s].size);
      send_all (fd, buf, len);
      char reply = read_reply (fd);
      if (steps[s].command == 'O' ? reply != 'O' : !strchr ("acrtdys", reply)) {
        fprintf (stderr, "unexpected reply '%c' to '%c'\n", reply,
                 steps[s].command);
        return 1;
      }
    }
    size_t len = 0;
    packet (buf, &len, 'Q', "", 0);
    send_all (fd, buf, len);
    /* The session ends when the milter has closed its side too. */
    if (read (fd, buf, sizeof buf) != 0)
      die ("no end of file after quit");
    close (fd);
    times[i] = now () - t0;
  }
  double elapsed = now () - start;
  qsort (times, (size_t) n_sessions, sizeof *times, compare);
  printf ("sessions-per-second: %.1f\n", n_sessions / elapsed);
  printf ("latency-p50: %.3f ms\n", times[n_sessions / 2] * 1000);
  printf ("latency-p99: %.3f ms\n", times[n_sessions * 99 / 100] * 1000);
  free (times);
  return 0;
}
