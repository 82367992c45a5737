/*
 * milter-manager-message-store - the message in flight: headers and body
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-message-store.h>
 *
 *   store = milter_manager_message_store_new (threshold, temporary_directory);
 *   MilterHeaders *milter_manager_message_store_get_headers (store);
 *   void milter_manager_message_store_keep_original_headers (store);
 *   const MilterHeaders *milter_manager_message_store_get_original_headers (store);
 *   gboolean milter_manager_message_store_append_body (store, data, size, &error);
 *   void milter_manager_message_store_replace_body (store);
 *   const gchar *milter_manager_message_store_read_body (store, offset,
 *                                                        max_size, &size,
 *                                                        &error);
 *   guint64 milter_manager_message_store_get_body_size (store);
 *   gboolean milter_manager_message_store_is_body_replaced (store);
 *   gboolean milter_manager_message_store_is_body_in_file (store);
 *   gsize milter_manager_message_store_get_memory_size (store);
 *   void milter_manager_message_store_reset (store);
 *   void milter_manager_message_store_free (store);
 *
 * DESCRIPTION
 *   The manager's own copy of one message (manager-behaviour.md §4.2,
 *   §4.3, §4.4), from which later children are replayed and the final
 *   edits computed.
 *
 *   Headers: a core MilterHeaders the children's edits are applied to
 *   with core's header operations. keep_original_headers() copies them
 *   when end-of-message arrives; that copy is the header diff's O.
 *
 *   Body: appended chunk by chunk. It stays in memory while its size is
 *   at most threshold bytes (manager-behaviour.md: 5 MiB, the default);
 *   the append that would make it larger moves it to a temporary file
 *   created with mkstemp in temporary_directory (NULL: the system's,
 *   g_get_tmp_dir()) and unlinked at once, so no name is left behind
 *   even if the process dies, and the memory is given back: from then
 *   on memory use does not grow with the body. Threshold 0 puts every
 *   non-empty body in a file.
 *
 *   read_body() reads the body back for replay from offset, at most
 *   max_size bytes (manager.chunk_size, at most 65535, in practice): it
 *   returns a pointer valid until the next call on the store, and sets
 *   size, 0 at the end of the body. Reading reuses one buffer per store.
 *
 *   replace_body() drops the body and marks it replaced: a child's first
 *   replace-body reply calls it, then every replace-body reply appends
 *   (§4.4). reset() empties the store for the next message on the
 *   connection.
 *
 * DIAGNOSTICS
 *   Errors are in MILTER_MANAGER_ERROR: BODY_OPEN (the temporary file
 *   cannot be created or unlinked; the body stays as it was), BODY_WRITE
 *   (a write to it failed; the body then holds what was written),
 *   BODY_ENCODING (its channel cannot be made binary; as BODY_OPEN),
 *   BODY_SEEK (the read position cannot be set) and BODY_READ. The
 *   caller logs [children][error][body][open|encoding|write] and answers
 *   with manager.fallback_status; a failed read back is
 *   [children][error][body][read|send] (a child's replay or the MTA's
 *   replaced body), with [seek] for a failed position.
 */
#pragma once

#include <glib.h>

#include <milter/core/milter-headers.h>

G_BEGIN_DECLS

#define MILTER_MANAGER_MESSAGE_STORE_DEFAULT_THRESHOLD ((gsize) 5 * 1024 * 1024)

typedef struct _MilterManagerMessageStore MilterManagerMessageStore;

MilterManagerMessageStore *
milter_manager_message_store_new (gsize threshold,
                                  const gchar *temporary_directory);
void milter_manager_message_store_free (MilterManagerMessageStore *store);

/* Owned by the store; edit it in place. */
MilterHeaders *
milter_manager_message_store_get_headers (MilterManagerMessageStore *store);
void milter_manager_message_store_keep_original_headers (MilterManagerMessageStore *store);
/* NULL until keep_original_headers(). */
const MilterHeaders *
milter_manager_message_store_get_original_headers (MilterManagerMessageStore *store);

gboolean milter_manager_message_store_append_body (MilterManagerMessageStore *store,
                                                   const gchar *data,
                                                   gsize size,
                                                   GError **error);
void milter_manager_message_store_replace_body (MilterManagerMessageStore *store);
const gchar *milter_manager_message_store_read_body (MilterManagerMessageStore *store,
                                                     guint64 offset,
                                                     gsize max_size,
                                                     gsize *size,
                                                     GError **error);
guint64 milter_manager_message_store_get_body_size (MilterManagerMessageStore *store);
gboolean milter_manager_message_store_is_body_replaced (MilterManagerMessageStore *store);
gboolean milter_manager_message_store_is_body_in_file (MilterManagerMessageStore *store);
/* Bytes of body held in memory (0 once it is in a file). */
gsize milter_manager_message_store_get_memory_size (MilterManagerMessageStore *store);

void milter_manager_message_store_reset (MilterManagerMessageStore *store);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterManagerMessageStore,
                               milter_manager_message_store_free)

G_END_DECLS
