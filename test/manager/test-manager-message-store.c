/*
 * test-manager-message-store - the message in flight: body in memory up
 * to a threshold, then in an unlinked temporary file; reading back in
 * replay pieces; replacing; headers and their original copy
 */
#include "config.h"

#include <glib.h>
#include <glib/gstdio.h>

#include <milter/core/milter-headers.h>
#include <milter/core/milter-protocol.h>
#include <milter/manager/milter-manager-error.h>
#include <milter/manager/milter-manager-message-store.h>

#define KiB ((gsize) 1024)
#define MiB (1024 * KiB)

static guint8
pattern_byte (guint64 i)
{
  return (guint8) ((i * 31 + (i >> 16) + 7) & 0xff);
}

/* Appends size bytes of the pattern in MTA-like chunks of chunk bytes. */
static void
append_pattern (MilterManagerMessageStore *store, gsize size, gsize chunk)
{
  g_autofree guint8 *buffer = g_malloc (chunk);
  guint64 offset = milter_manager_message_store_get_body_size (store);

  for (gsize done = 0; done < size;) {
    gsize n = MIN (chunk, size - done);
    g_autoptr (GError) error = NULL;

    for (gsize i = 0; i < n; i++)
      buffer[i] = pattern_byte (offset + done + i);
    g_assert_true (milter_manager_message_store_append_body (
                     store, (const gchar *) buffer, n, &error));
    g_assert_no_error (error);
    done += n;
  }
}

/* Reads the body back in replay pieces and checks every byte. */
static void
assert_pattern (MilterManagerMessageStore *store, guint64 expected_size)
{
  guint64 offset = 0;
  guint pieces = 0;

  g_assert_cmpuint (milter_manager_message_store_get_body_size (store), ==,
                    expected_size);
  for (;;) {
    g_autoptr (GError) error = NULL;
    gsize size = G_MAXSIZE;
    const gchar *data =
      milter_manager_message_store_read_body (store, offset, MILTER_CHUNK_SIZE,
                                              &size, &error);

    g_assert_no_error (error);
    g_assert_nonnull (data);
    if (size == 0)
      break;
    g_assert_cmpuint (size, ==, MIN (MILTER_CHUNK_SIZE, expected_size - offset));
    for (gsize i = 0; i < size; i++) {
      if ((guint8) data[i] != pattern_byte (offset + i))
        g_error ("byte %" G_GUINT64_FORMAT " differs", offset + i);
    }
    offset += size;
    pieces++;
  }
  g_assert_cmpuint (offset, ==, expected_size);
  g_assert_cmpuint (pieces, ==,
                    (expected_size + MILTER_CHUNK_SIZE - 1) / MILTER_CHUNK_SIZE);
}

static guint
count_entries (const gchar *directory)
{
  g_autoptr (GDir) dir = g_dir_open (directory, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir))
    n++;
  return n;
}

typedef struct {
  gsize threshold;
  gsize body_size;
  gsize chunk;
  gboolean in_file;
} ThresholdCase;

static const ThresholdCase threshold_cases[] = {
  {0, 0, 65535, FALSE},
  {0, 1, 65535, TRUE},
  {0, 200 * KiB, 65535, TRUE},
  {64 * KiB, 64 * KiB, 1000, FALSE},
  {64 * KiB, 64 * KiB + 1, 1000, TRUE},
  {64 * KiB, 64 * KiB + 1, 64 * KiB + 1, TRUE},
  {64 * KiB, 1 * MiB, 65535, TRUE},
  {10 * MiB, 10 * MiB, 65535, FALSE},
  {10 * MiB, 10 * MiB + 1, 65535, TRUE},
};

static void
test_thresholds (void)
{
  g_autofree gchar *directory = g_dir_make_tmp ("test-message-store-XXXXXX",
                                                NULL);

  g_assert_nonnull (directory);
  for (guint i = 0; i < G_N_ELEMENTS (threshold_cases); i++) {
    const ThresholdCase *c = &threshold_cases[i];
    g_autoptr (MilterManagerMessageStore) store =
      milter_manager_message_store_new (c->threshold, directory);

    g_test_message ("threshold %" G_GSIZE_FORMAT ", body %" G_GSIZE_FORMAT,
                    c->threshold, c->body_size);
    append_pattern (store, c->body_size, c->chunk);
    g_assert_cmpint (milter_manager_message_store_is_body_in_file (store), ==,
                     c->in_file);
    /* memory stays flat once the body is in its file */
    g_assert_cmpuint (milter_manager_message_store_get_memory_size (store), ==,
                      c->in_file ? 0 : c->body_size);
    assert_pattern (store, c->body_size);
    /* the file has no name, even while in use */
    g_assert_cmpuint (count_entries (directory), ==, 0);
  }
  g_assert_cmpint (g_rmdir (directory), ==, 0);
}

/* The file is created in the configured directory and unlinked at once:
 * with a directory that cannot hold files, the spill fails. */
static void
test_temporary_directory (void)
{
  g_autofree gchar *directory = g_dir_make_tmp ("test-message-store-XXXXXX",
                                                NULL);
  g_autofree gchar *missing = g_build_filename (directory, "missing", NULL);
  g_autoptr (MilterManagerMessageStore) store =
    milter_manager_message_store_new (4, directory);
  g_autoptr (MilterManagerMessageStore) broken =
    milter_manager_message_store_new (4, missing);
  g_autoptr (GError) error = NULL;
  gsize size = 0;
  const gchar *data;

  g_assert_true (milter_manager_message_store_append_body (store, "0123456789",
                                                           10, &error));
  g_assert_no_error (error);
  g_assert_true (milter_manager_message_store_is_body_in_file (store));
  g_assert_cmpuint (count_entries (directory), ==, 0);

  g_assert_true (milter_manager_message_store_append_body (broken, "abc", 3,
                                                           &error));
  g_assert_false (milter_manager_message_store_append_body (broken, "de", 2,
                                                            &error));
  g_assert_error (error, MILTER_MANAGER_ERROR, MILTER_MANAGER_ERROR_BODY_OPEN);
  g_assert_nonnull (g_strstr_len (error->message, -1, missing));
  /* the body stays as it was */
  g_assert_false (milter_manager_message_store_is_body_in_file (broken));
  data = milter_manager_message_store_read_body (broken, 0, 100, &size, NULL);
  g_assert_cmpmem (data, size, "abc", 3);

  g_clear_pointer (&store, milter_manager_message_store_free);
  g_assert_cmpint (g_rmdir (directory), ==, 0);
}

static void
test_default_directory (void)
{
  g_autoptr (MilterManagerMessageStore) store =
    milter_manager_message_store_new (0, NULL);

  append_pattern (store, 70000, 65535);
  g_assert_true (milter_manager_message_store_is_body_in_file (store));
  assert_pattern (store, 70000);
}

static void
test_read_offsets (void)
{
  for (guint threshold = 0; threshold <= 100; threshold += 100) {
    g_autoptr (MilterManagerMessageStore) store =
      milter_manager_message_store_new (threshold, NULL);
    gsize size = 1;
    const gchar *data;

    g_assert_true (milter_manager_message_store_append_body (store, "hello ",
                                                             6, NULL));
    g_assert_true (milter_manager_message_store_append_body (store, "world",
                                                             5, NULL));
    data = milter_manager_message_store_read_body (store, 3, 4, &size, NULL);
    g_assert_cmpmem (data, size, "lo w", 4);
    data = milter_manager_message_store_read_body (store, 9, 100, &size, NULL);
    g_assert_cmpmem (data, size, "ld", 2);
    data = milter_manager_message_store_read_body (store, 11, 100, &size, NULL);
    g_assert_nonnull (data);
    g_assert_cmpuint (size, ==, 0);
    data = milter_manager_message_store_read_body (store, 50, 100, &size, NULL);
    g_assert_nonnull (data);
    g_assert_cmpuint (size, ==, 0);
  }
}

/* A child's first replace-body drops the body; the rest append (§4.4). */
static void
test_replace_body (void)
{
  g_autoptr (MilterManagerMessageStore) store =
    milter_manager_message_store_new (64 * KiB, NULL);
  gsize size = 0;
  const gchar *data;

  append_pattern (store, 100 * KiB, 65535);
  g_assert_true (milter_manager_message_store_is_body_in_file (store));
  g_assert_false (milter_manager_message_store_is_body_replaced (store));

  milter_manager_message_store_replace_body (store);
  g_assert_true (milter_manager_message_store_is_body_replaced (store));
  g_assert_false (milter_manager_message_store_is_body_in_file (store));
  g_assert_cmpuint (milter_manager_message_store_get_body_size (store), ==, 0);
  g_assert_true (milter_manager_message_store_append_body (store, "new ", 4,
                                                           NULL));
  g_assert_true (milter_manager_message_store_append_body (store, "body", 4,
                                                           NULL));
  data = milter_manager_message_store_read_body (store, 0, 65535, &size, NULL);
  g_assert_cmpmem (data, size, "new body", 8);

  /* an empty replacement is an empty, replaced body (D16) */
  milter_manager_message_store_replace_body (store);
  g_assert_true (milter_manager_message_store_is_body_replaced (store));
  g_assert_cmpuint (milter_manager_message_store_get_body_size (store), ==, 0);

  /* a large replacement goes to a file again */
  append_pattern (store, 200 * KiB, 65535);
  g_assert_true (milter_manager_message_store_is_body_in_file (store));
  assert_pattern (store, 200 * KiB);
}

static void
test_headers_and_reset (void)
{
  g_autoptr (MilterManagerMessageStore) store =
    milter_manager_message_store_new (0, NULL);
  MilterHeaders *headers = milter_manager_message_store_get_headers (store);
  const MilterHeaders *original;

  g_assert_null (milter_manager_message_store_get_original_headers (store));
  g_assert_true (milter_headers_add (headers, "From", "a", NULL));
  g_assert_true (milter_headers_add (headers, "Subject", "hi", NULL));
  milter_manager_message_store_keep_original_headers (store);
  g_assert_true (milter_headers_change (headers, "Subject", 1, "[ok] hi",
                                        NULL));
  original = milter_manager_message_store_get_original_headers (store);
  g_assert_nonnull (original);
  g_assert_cmpstr (milter_headers_find (original, "Subject", 1), ==, "hi");
  g_assert_cmpstr (milter_headers_find (headers, "Subject", 1), ==, "[ok] hi");

  append_pattern (store, 10, 10);
  milter_manager_message_store_replace_body (store);
  milter_manager_message_store_reset (store);
  g_assert_null (milter_manager_message_store_get_original_headers (store));
  g_assert_cmpuint (milter_headers_length (
                      milter_manager_message_store_get_headers (store)), ==, 0);
  g_assert_cmpuint (milter_manager_message_store_get_body_size (store), ==, 0);
  g_assert_false (milter_manager_message_store_is_body_replaced (store));
  g_assert_false (milter_manager_message_store_is_body_in_file (store));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manager/message-store/thresholds", test_thresholds);
  g_test_add_func ("/manager/message-store/temporary-directory",
                   test_temporary_directory);
  g_test_add_func ("/manager/message-store/default-directory",
                   test_default_directory);
  g_test_add_func ("/manager/message-store/read-offsets", test_read_offsets);
  g_test_add_func ("/manager/message-store/replace-body", test_replace_body);
  g_test_add_func ("/manager/message-store/headers-and-reset",
                   test_headers_and_reset);
  return g_test_run ();
}
