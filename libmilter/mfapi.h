/*
 * libmilter/mfapi.h - the libmilter API (smfi_*) of milter-manager's library
 *
 * SYNOPSIS
 *   #include <libmilter/mfapi.h>
 *   cc milter.c $(pkg-config --cflags --libs milter-manager-libmilter)
 *
 *   struct smfiDesc desc = { "name", SMFI_VERSION, SMFIF_ADDHDRS, ... };
 *   smfi_setconn ("inet:10025@127.0.0.1");
 *   smfi_register (desc);
 *   return smfi_main ();
 *
 * DESCRIPTION
 *   The application interface of Sendmail's libmilter 8.17, written anew
 *   for milter-manager's libmilter-compatible library (libmilter.so.1.0.1,
 *   installed under $(libdir)/milter-manager). The binary interface is
 *   the same as Debian's libmilter: the smfiDesc layout, the callback
 *   prototypes, every constant, and the exported functions; a program
 *   built against either header runs on either library. SMFICTX is
 *   opaque. doc/libmilter.md says how to run existing milter binaries on
 *   this library.
 *
 * DIAGNOSTICS
 *   Functions return MI_SUCCESS or MI_FAILURE (smfi_getsymval and
 *   smfi_getpriv NULL, smfi_setmaxdatasize the previous size).
 */
#ifndef _LIBMILTER_MFAPI_H
#define _LIBMILTER_MFAPI_H 1

#ifndef SMFI_VERSION
#if defined(_FFR_MDS_NEGOTIATE) && _FFR_MDS_NEGOTIATE
#define SMFI_VERSION 0x01000002
/* From this version on a milter may get larger data packets. */
#define SMFI_VERSION_MDS 0x01000002
#else
#define SMFI_VERSION 0x01000001
#endif
#endif

#define SM_LM_VRS_MAJOR(v) (((v) & 0x7f000000) >> 24)
#define SM_LM_VRS_MINOR(v) (((v) & 0x007fff00) >> 8)
#define SM_LM_VRS_PLVL(v) ((v) & 0x0000007f)

#include <sys/types.h>
#include <sys/socket.h>

#include "libmilter/mfdef.h"

#define LIBMILTER_API extern

#ifdef __cplusplus
extern "C" {
#endif

#ifndef _SOCK_ADDR
#define _SOCK_ADDR struct sockaddr
#endif

#define MI_SUCCESS 0
#define MI_FAILURE (-1)

typedef struct smfi_str SMFICTX;
typedef struct smfi_str *SMFICTX_PTR;
typedef struct smfiDesc smfiDesc_str;
typedef struct smfiDesc *smfiDesc_ptr;

/* What a callback returns (SMFIS_*). */
typedef int sfsistat;

/* Prototype wrappers that old milters use in their own declarations. */
#ifndef __P
#define __P(X) X
#endif
#define SM__P(X) X

/* Sendmail's header gives C programs a bool when <stdbool.h> is not
 * included (smfi_opensocket takes one); milters rely on it. */
#if !defined(__cplusplus) && !defined(bool) && \
    !defined(__bool_true_false_are_defined)
typedef int bool;
#define false 0
#define true 1
#define __bool_true_false_are_defined 1
#endif

struct smfiDesc {
  char *xxfi_name;
  int xxfi_version;          /* SMFI_VERSION */
  unsigned long xxfi_flags;  /* SMFIF_*: actions the milter may take */
  sfsistat (*xxfi_connect) (SMFICTX *, char *, _SOCK_ADDR *);
  sfsistat (*xxfi_helo) (SMFICTX *, char *);
  sfsistat (*xxfi_envfrom) (SMFICTX *, char **);
  sfsistat (*xxfi_envrcpt) (SMFICTX *, char **);
  sfsistat (*xxfi_header) (SMFICTX *, char *, char *);
  sfsistat (*xxfi_eoh) (SMFICTX *);
  sfsistat (*xxfi_body) (SMFICTX *, unsigned char *, size_t);
  sfsistat (*xxfi_eom) (SMFICTX *);
  sfsistat (*xxfi_abort) (SMFICTX *);
  sfsistat (*xxfi_close) (SMFICTX *);
  sfsistat (*xxfi_unknown) (SMFICTX *, const char *);
  sfsistat (*xxfi_data) (SMFICTX *);
  /* (ctx, MTA actions, MTA steps, 0, 0, &actions, &steps, &f2, &f3) */
  sfsistat (*xxfi_negotiate) (SMFICTX *,
                              unsigned long, unsigned long,
                              unsigned long, unsigned long,
                              unsigned long *, unsigned long *,
                              unsigned long *, unsigned long *);
};

/* Setting up and running. */
LIBMILTER_API int smfi_opensocket (bool);
LIBMILTER_API int smfi_register (struct smfiDesc);
LIBMILTER_API int smfi_main (void);
LIBMILTER_API int smfi_setbacklog (int);
LIBMILTER_API int smfi_setdbg (int);
LIBMILTER_API int smfi_settimeout (int);
LIBMILTER_API int smfi_setconn (char *);
LIBMILTER_API int smfi_stop (void);
LIBMILTER_API size_t smfi_setmaxdatasize (size_t);
LIBMILTER_API int smfi_version (unsigned int *, unsigned int *,
                                unsigned int *);

/* Actions (xxfi_flags and the negotiate callback). */
#define SMFIF_NONE 0x00000000L
#define SMFIF_ADDHDRS 0x00000001L
#define SMFIF_CHGBODY 0x00000002L
#define SMFIF_MODBODY SMFIF_CHGBODY
#define SMFIF_ADDRCPT 0x00000004L
#define SMFIF_DELRCPT 0x00000008L
#define SMFIF_CHGHDRS 0x00000010L
#define SMFIF_QUARANTINE 0x00000020L
#define SMFIF_CHGFROM 0x00000040L
#define SMFIF_ADDRCPT_PAR 0x00000080L
#define SMFIF_SETSYMLIST 0x00000100L

/* Stages for smfi_setsymlist. */
#define SMFIM_NOMACROS (-1)
#define SMFIM_FIRST 0
#define SMFIM_CONNECT 0
#define SMFIM_HELO 1
#define SMFIM_ENVFROM 2
#define SMFIM_ENVRCPT 3
#define SMFIM_DATA 4
#define SMFIM_EOM 5
#define SMFIM_EOH 6
#define SMFIM_LAST 6

/* Callback results. */
#define SMFIS_CONTINUE 0
#define SMFIS_REJECT 1
#define SMFIS_DISCARD 2
#define SMFIS_ACCEPT 3
#define SMFIS_TEMPFAIL 4
#define SMFIS_NOREPLY 7
#define SMFIS_SKIP 8
#define SMFIS_ALL_OPTS 10

/* Within a callback. */
LIBMILTER_API char *smfi_getsymval (SMFICTX *, char *);
LIBMILTER_API int smfi_setreply (SMFICTX *, char *, char *, char *);
LIBMILTER_API int smfi_setmlreply (SMFICTX *, const char *, const char *,
                                   ...);
/* End-of-message only, and only with the action negotiated. */
LIBMILTER_API int smfi_addheader (SMFICTX *, char *, char *);
LIBMILTER_API int smfi_chgheader (SMFICTX *, char *, int, char *);
LIBMILTER_API int smfi_insheader (SMFICTX *, int, char *, char *);
LIBMILTER_API int smfi_chgfrom (SMFICTX *, char *, char *);
LIBMILTER_API int smfi_addrcpt (SMFICTX *, char *);
LIBMILTER_API int smfi_addrcpt_par (SMFICTX *, char *, char *);
LIBMILTER_API int smfi_delrcpt (SMFICTX *, char *);
LIBMILTER_API int smfi_progress (SMFICTX *);
LIBMILTER_API int smfi_replacebody (SMFICTX *, unsigned char *, int);
LIBMILTER_API int smfi_quarantine (SMFICTX *ctx, char *reason);
/* Per-session data. */
LIBMILTER_API int smfi_setpriv (SMFICTX *, void *);
LIBMILTER_API void *smfi_getpriv (SMFICTX *);
/* In xxfi_negotiate: the macros the MTA should send at a stage. */
LIBMILTER_API int smfi_setsymlist (SMFICTX *, int, char *);

#ifdef __cplusplus
}
#endif

#endif /* _LIBMILTER_MFAPI_H */
