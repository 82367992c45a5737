/*
 * milter-manager-header-diff - the header edits that turn the MTA's
 * headers into the manager's final ones
 *
 * SYNOPSIS
 *   #include <milter/manager/milter-manager-header-diff.h>
 *
 *   GPtrArray *milter_manager_header_diff (original, final);
 *   gchar *milter_manager_header_edit_to_string (edit);
 *
 * DESCRIPTION
 *   At end-of-message the manager holds the headers the MTA showed
 *   (original, O) and its store after every child's edits (final, F).
 *   milter_manager_header_diff() returns the edits to send the MTA, in
 *   sending order, such that applying them to O with the protocol's index
 *   semantics (core's milter_headers_change/insert/add) gives exactly F.
 *   It replaces the original's §4.6 algorithm, with D11, D12 and D20 of
 *   manager-behaviour.md fixed:
 *
 *   - O's headers that survive into F keep their relative order (the MTA
 *     cannot move a header), so the diff pairs O and F along a common
 *     subsequence: a pair of equal name and value is kept (nothing sent),
 *     a pair of equal name and different value is a change. The pairing
 *     sends the fewest edits (a weighted longest common subsequence).
 *     Pairs need the same name spelling, because a change keeps the MTA's
 *     spelling; a change to an empty value would be a delete, so such a
 *     header is deleted and inserted instead.
 *   - Sending order (D11): changes first, then deletes from last to
 *     first, then the new headers in ascending final position. Each new
 *     header is an insert at its final 0-based position, except those
 *     after the last kept one, which are appended with add-header (D20),
 *     as a milter talking to the MTA directly would have done.
 *   - The rank of a change or delete is the 1-based rank of that header
 *     among O's headers of the same name compared case-insensitively
 *     (D12), as MTAs count; changes and deletes use ranks in O, which
 *     the sending order keeps valid.
 *
 *   Each edit is a MilterManagerHeaderEdit: CHANGE ('m' name index
 *   value), DELETE ('m' name index with an empty value), INSERT ('i'
 *   index name value) or ADD ('h' name value; index 0).
 *   edit_to_string() gives "m Subject 1 value", "d Subject 2",
 *   "i 0 Name: value" or "h Name: value" for tests and debug logs.
 *
 * DIAGNOSTICS
 *   None. Cost is O(k^2) time and memory in the number k of headers
 *   between the longest unchanged prefix and suffix, which are skipped.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-headers.h>

G_BEGIN_DECLS

typedef enum {
  MILTER_MANAGER_HEADER_EDIT_CHANGE,
  MILTER_MANAGER_HEADER_EDIT_DELETE,
  MILTER_MANAGER_HEADER_EDIT_INSERT,
  MILTER_MANAGER_HEADER_EDIT_ADD
} MilterManagerHeaderEditType;

typedef struct {
  MilterManagerHeaderEditType type;
  /* CHANGE, DELETE: 1-based rank among same-name headers; INSERT:
   * 0-based position; ADD: 0. */
  guint index;
  gchar *name;
  gchar *value;  /* "" for DELETE */
} MilterManagerHeaderEdit;

void milter_manager_header_edit_free (MilterManagerHeaderEdit *edit);
gchar *milter_manager_header_edit_to_string (const MilterManagerHeaderEdit *edit);

/* Returns: (transfer full) (element-type MilterManagerHeaderEdit): the
 * edits in sending order; the array frees its elements. */
GPtrArray *milter_manager_header_diff (const MilterHeaders *original,
                                       const MilterHeaders *final);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MilterManagerHeaderEdit,
                               milter_manager_header_edit_free)

G_END_DECLS
