/*
 * milter-command - one decoded MTA-to-milter command, as a view
 *
 * SYNOPSIS
 *   #include <milter/core/milter-command.h>
 *
 *   gchar *milter_command_to_string (const MilterCommand *command);
 *   gboolean milter_command_is_macro_stage (guint8 stage_command);
 *
 * DESCRIPTION
 *   MilterCommand is a plain struct tagged by MilterCommandType. It does not
 *   own anything: strings and body bytes point into the packet payload the
 *   decoder was given (or into arrays the decoder reuses), so a command is
 *   valid only while the callback that received it runs. Copy what must
 *   live longer.
 *
 *   Which member of the union is set, by type:
 *     NEGOTIATE            negotiate
 *     DEFINE_MACRO         define_macro (names and values as given: "j",
 *                          "{daemon_name}" ...)
 *     CONNECT              connect (port 0 and address NULL for family 'U')
 *     HELO                 helo
 *     ENVELOPE_FROM,
 *     ENVELOPE_RECIPIENT   envelope (argv[0] is the address, then the ESMTP
 *                          arguments; argv is NULL-terminated, argc >= 1)
 *     HEADER               header
 *     BODY, END_OF_MESSAGE body (size 0 for an end-of-message without chunk)
 *     UNKNOWN              unknown
 *     DATA, END_OF_HEADER, ABORT, QUIT, QUIT_NEW_CONNECTION: none.
 *
 *   milter_command_to_string() gives a stable one-line description, for
 *   debug logs and for tests that compare decoded streams. Strings are
 *   quoted with '"', '\\', control and non-ASCII bytes escaped (\xNN), so
 *   two commands print alike only if they carry the same bytes. Bodies
 *   print their size, an FNV-1a 64-bit hash of all bytes and at most the
 *   first 64 bytes.
 *
 *   milter_command_is_macro_stage() is the rule for the stage byte of a
 *   define-macro command: see milter-command.c for the accepted set.
 *
 * DIAGNOSTICS
 *   None: every command prints, whatever bytes it carries.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-protocol.h>

G_BEGIN_DECLS

typedef struct _MilterCommand MilterCommand;

struct _MilterCommand {
  MilterCommandType type;
  union {
    struct {
      guint32 version;
      MilterActionFlags actions;
      MilterStepFlags steps;
    } negotiate;
    struct {
      /* The command byte the macros belong to ('C', 'H', ...). */
      guint8 stage_command;
      guint n_macros;
      const gchar *const *names;
      const gchar *const *values;
    } define_macro;
    struct {
      const gchar *host;
      MilterFamily family;
      guint16 port;
      const gchar *address;
    } connect;
    struct {
      const gchar *fqdn;
    } helo;
    struct {
      guint argc;
      const gchar *const *argv;
    } envelope;
    struct {
      const gchar *name;
      const gchar *value;
    } header;
    struct {
      const guint8 *data;
      gsize size;
    } body;
    struct {
      const gchar *command;
    } unknown;
  };
};

gchar *milter_command_to_string (const MilterCommand *command);
gboolean milter_command_is_macro_stage (guint8 stage_command);

G_END_DECLS
