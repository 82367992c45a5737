/*
 * libmilter/mfdef.h - milter protocol constants of the libmilter API
 *
 * SYNOPSIS
 *   #include <libmilter/mfdef.h>   (mfapi.h includes it)
 *
 * DESCRIPTION
 *   The wire constants a libmilter 8.17 program may use: protocol
 *   version, packet sizes, command and reply bytes, action (SMFIF_* in
 *   mfapi.h) and step (SMFIP_*) flags. Written for milter-manager's
 *   libmilter-compatible library; the values are the protocol's, so
 *   programs built against Sendmail's header run on this library and
 *   the other way round.
 *
 * DIAGNOSTICS
 *   None.
 */
#ifndef _LIBMILTER_MFDEF_H
#define _LIBMILTER_MFDEF_H 1

#ifndef SMFI_PROT_VERSION
#define SMFI_PROT_VERSION 6
#endif

/* Sizes on the wire. */
#define MILTER_LEN_BYTES 4
#define MILTER_OPTLEN (MILTER_LEN_BYTES * 3)
#define MILTER_CHUNK_SIZE 65535
#define MILTER_MAX_DATA_SIZE 65535
#if defined(_FFR_MDS_NEGOTIATE) && _FFR_MDS_NEGOTIATE
#define MILTER_MDS_64K ((64 * 1024) - 1)
#define MILTER_MDS_256K ((256 * 1024) - 1)
#define MILTER_MDS_1M ((1024 * 1024) - 1)
#endif

/* Action sets of the protocol versions. */
#define SMFI_V1_ACTS 0x0000000FL
#define SMFI_V2_ACTS 0x0000003FL
#define SMFI_CURR_ACTS 0x000001FFL

/* Address families in the connect command. */
#define SMFIA_UNKNOWN 'U'
#define SMFIA_UNIX 'L'
#define SMFIA_INET '4'
#define SMFIA_INET6 '6'

/* Commands, MTA to milter. */
#define SMFIC_ABORT 'A'
#define SMFIC_BODY 'B'
#define SMFIC_CONNECT 'C'
#define SMFIC_MACRO 'D'
#define SMFIC_BODYEOB 'E'
#define SMFIC_HELO 'H'
#define SMFIC_QUIT_NC 'K'
#define SMFIC_HEADER 'L'
#define SMFIC_MAIL 'M'
#define SMFIC_EOH 'N'
#define SMFIC_OPTNEG 'O'
#define SMFIC_QUIT 'Q'
#define SMFIC_RCPT 'R'
#define SMFIC_DATA 'T'
#define SMFIC_UNKNOWN 'U'

/* Replies, milter to MTA. */
#define SMFIR_ADDRCPT '+'
#define SMFIR_DELRCPT '-'
#define SMFIR_ADDRCPT_PAR '2'
#define SMFIR_SHUTDOWN '4'
#define SMFIR_ACCEPT 'a'
#define SMFIR_REPLBODY 'b'
#define SMFIR_CONTINUE 'c'
#define SMFIR_DISCARD 'd'
#define SMFIR_CHGFROM 'e'
#define SMFIR_CONN_FAIL 'f'
#define SMFIR_ADDHEADER 'h'
#define SMFIR_INSHEADER 'i'
#define SMFIR_SETSYMLIST 'l'
#define SMFIR_CHGHEADER 'm'
#define SMFIR_PROGRESS 'p'
#define SMFIR_QUARANTINE 'q'
#define SMFIR_REJECT 'r'
#define SMFIR_SKIP 's'
#define SMFIR_TEMPFAIL 't'
#define SMFIR_REPLYCODE 'y'

/* Protocol steps: events the MTA leaves out, replies it does not wait
 * for, and what it understands. */
#define SMFIP_NOCONNECT 0x00000001L
#define SMFIP_NOHELO 0x00000002L
#define SMFIP_NOMAIL 0x00000004L
#define SMFIP_NORCPT 0x00000008L
#define SMFIP_NOBODY 0x00000010L
#define SMFIP_NOHDRS 0x00000020L
#define SMFIP_NOEOH 0x00000040L
#define SMFIP_NR_HDR 0x00000080L
#define SMFIP_NOHREPL SMFIP_NR_HDR
#define SMFIP_NOUNKNOWN 0x00000100L
#define SMFIP_NODATA 0x00000200L
#define SMFIP_SKIP 0x00000400L
#define SMFIP_RCPT_REJ 0x00000800L
#define SMFIP_NR_CONN 0x00001000L
#define SMFIP_NR_HELO 0x00002000L
#define SMFIP_NR_MAIL 0x00004000L
#define SMFIP_NR_RCPT 0x00008000L
#define SMFIP_NR_DATA 0x00010000L
#define SMFIP_NR_UNKN 0x00020000L
#define SMFIP_NR_EOH 0x00040000L
#define SMFIP_NR_BODY 0x00080000L
#define SMFIP_HDR_LEADSPC 0x00100000L
#define SMFIP_MDS_256K 0x10000000L
#define SMFIP_MDS_1M 0x20000000L

#define SMFI_V1_PROT 0x0000003FL
#define SMFI_V2_PROT 0x0000007FL
#define SMFI_CURR_PROT 0x001FFFFFL
/* Step bits the library itself decides (data sizes). */
#define SMFI_INTERNAL 0x70000000L

#endif /* _LIBMILTER_MFDEF_H */
