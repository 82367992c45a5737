/*
 * milter-glib-event-loop - MilterEventLoop on a GLib GMainContext
 *
 * DESCRIPTION
 *   A thin mapping of the MilterEventLoop virtual functions onto GSources.
 *   The object remembers the ids it handed out, so remove() touches only
 *   its own watches and finalizing it removes those still alive.
 *   GLib already makes destroying a source from its own callback safe and
 *   defers the destroy notify until the dispatch is over.
 *
 *   set_lock() puts a poll function on the context: GLib calls it only
 *   for the wait, with no callback running, which is what "unlocked"
 *   wraps; callbacks stay where they are, under the lock.
 */
#include "config.h"

#include <glib.h>
#include <glib-unix.h>

#include <milter/core/milter-event-loop.h>
#include <milter/core/milter-glib-event-loop.h>

struct _MilterGLibEventLoop {
  MilterEventLoop parent_instance;
  GMainContext *context;
  GMainLoop *main_loop;
  /* Ids of the watches made through this object, so that finalizing it
   * removes them, as the libev backend does. Ids of watches that ended on
   * their own are pruned whenever the set has doubled. */
  GHashTable *ids;
  guint prune_at;
  MilterEventLoopCallWrapper unlocked;
  gpointer lock_data;
};

/* The loops with a lock: GLib's poll function is told neither the
 * context nor the loop, but the polling thread owns the context. */
static GMutex locked_loops_mutex;
static GSList *locked_loops;

typedef struct {
  GPollFD *fds;
  guint n_fds;
  gint timeout;
  gint result;
} Poll;

static void
poll_call (gpointer data)
{
  Poll *poll = data;

  poll->result = g_poll (poll->fds, poll->n_fds, poll->timeout);
}

static gint
unlocked_poll (GPollFD *fds, guint n_fds, gint timeout)
{
  Poll poll = { fds, n_fds, timeout, 0 };
  MilterGLibEventLoop *owner = NULL;

  g_mutex_lock (&locked_loops_mutex);
  for (GSList *node = locked_loops; node && !owner; node = node->next) {
    MilterGLibEventLoop *self = node->data;

    if (g_main_context_is_owner (self->context))
      owner = self;
  }
  g_mutex_unlock (&locked_loops_mutex);
  if (owner)
    owner->unlocked (poll_call, &poll, owner->lock_data);
  else
    poll_call (&poll);
  return poll.result;
}

#define MIN_PRUNE_AT 64

enum {
  PROP_0,
  PROP_CONTEXT,
  N_PROPERTIES
};

static GParamSpec *properties[N_PROPERTIES];

G_DEFINE_FINAL_TYPE (MilterGLibEventLoop, milter_glib_event_loop,
                     MILTER_TYPE_EVENT_LOOP)

static guint
attach (MilterGLibEventLoop *self,
        GSource *source,
        GSourceFunc func,
        gpointer user_data,
        GDestroyNotify notify)
{
  guint id;

  g_source_set_callback (source, func, user_data, notify);
  id = g_source_attach (source, self->context);
  g_source_unref (source);
  g_hash_table_add (self->ids, GUINT_TO_POINTER (id));
  if (g_hash_table_size (self->ids) >= self->prune_at) {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, self->ids);
    while (g_hash_table_iter_next (&iter, &key, NULL)) {
      GSource *live = g_main_context_find_source_by_id (self->context,
                                                        GPOINTER_TO_UINT (key));

      if (!live || g_source_is_destroyed (live))
        g_hash_table_iter_remove (&iter);
    }
    self->prune_at = MAX (MIN_PRUNE_AT, 2 * g_hash_table_size (self->ids));
  }
  return id;
}

static guint
glib_watch_io (MilterEventLoop *loop,
               gint fd,
               GIOCondition condition,
               MilterEventLoopIOFunc func,
               gpointer user_data,
               GDestroyNotify notify)
{
  GSource *source = g_unix_fd_source_new (fd, condition);

  /* GLib "blocks" a source that cannot recurse while dispatching it: it
   * takes the descriptor out of the poll set and puts it back afterwards,
   * and each change writes the context's wakeup eventfd, which costs two
   * writes, a read and an extra poll per callback (about 4x the system
   * calls of a round trip). Our callbacks never run the loop they are
   * called from, so the guard buys nothing here. */
  g_source_set_can_recurse (source, TRUE);
  /* MilterEventLoopIOFunc has the GUnixFDSourceFunc signature. */
  return attach (MILTER_GLIB_EVENT_LOOP (loop), source,
                 G_SOURCE_FUNC (func), user_data, notify);
}

static guint
glib_add_timeout (MilterEventLoop *loop,
                  gdouble interval_seconds,
                  MilterEventLoopFunc func,
                  gpointer user_data,
                  GDestroyNotify notify)
{
  gdouble exact = interval_seconds * 1000.0;
  guint milliseconds;

  /* Round up: a timeout must never fire early. */
  if (exact >= (gdouble) G_MAXUINT)
    milliseconds = G_MAXUINT;
  else {
    milliseconds = (guint) exact;
    if ((gdouble) milliseconds < exact)
      milliseconds++;
  }
  return attach (MILTER_GLIB_EVENT_LOOP (loop),
                 g_timeout_source_new (milliseconds),
                 func, user_data, notify);
}

static guint
glib_add_idle (MilterEventLoop *loop,
               MilterEventLoopFunc func,
               gpointer user_data,
               GDestroyNotify notify)
{
  return attach (MILTER_GLIB_EVENT_LOOP (loop), g_idle_source_new (),
                 func, user_data, notify);
}

static guint
glib_watch_child (MilterEventLoop *loop,
                  GPid pid,
                  MilterEventLoopChildFunc func,
                  gpointer user_data,
                  GDestroyNotify notify)
{
  return attach (MILTER_GLIB_EVENT_LOOP (loop),
                 g_child_watch_source_new (pid),
                 G_SOURCE_FUNC (func), user_data, notify);
}

static gboolean
glib_remove (MilterEventLoop *loop, guint id)
{
  MilterGLibEventLoop *self = MILTER_GLIB_EVENT_LOOP (loop);
  GSource *source;

  /* Only this object's watches: the context may be shared. */
  if (!g_hash_table_remove (self->ids, GUINT_TO_POINTER (id)))
    return FALSE;
  source = g_main_context_find_source_by_id (self->context, id);
  if (!source || g_source_is_destroyed (source))
    return FALSE;
  g_source_destroy (source);
  return TRUE;
}

static void
glib_run (MilterEventLoop *loop)
{
  MilterGLibEventLoop *self = MILTER_GLIB_EVENT_LOOP (loop);

  g_main_loop_run (self->main_loop);
}

static gboolean
glib_iterate (MilterEventLoop *loop, gboolean may_block)
{
  MilterGLibEventLoop *self = MILTER_GLIB_EVENT_LOOP (loop);

  return g_main_context_iteration (self->context, may_block);
}

static void
glib_set_lock (MilterEventLoop *loop,
               MilterEventLoopCallWrapper unlocked,
               MilterEventLoopCallWrapper locked,
               gpointer user_data)
{
  MilterGLibEventLoop *self = MILTER_GLIB_EVENT_LOOP (loop);

  (void) locked;
  g_mutex_lock (&locked_loops_mutex);
  locked_loops = g_slist_remove (locked_loops, self);
  self->unlocked = unlocked;
  self->lock_data = user_data;
  if (unlocked)
    locked_loops = g_slist_prepend (locked_loops, self);
  g_mutex_unlock (&locked_loops_mutex);
  g_main_context_set_poll_func (self->context, unlocked ? unlocked_poll : g_poll);
}

static void
glib_quit (MilterEventLoop *loop)
{
  MilterGLibEventLoop *self = MILTER_GLIB_EVENT_LOOP (loop);

  g_main_loop_quit (self->main_loop);
}

static void
milter_glib_event_loop_constructed (GObject *object)
{
  MilterGLibEventLoop *self = MILTER_GLIB_EVENT_LOOP (object);

  G_OBJECT_CLASS (milter_glib_event_loop_parent_class)->constructed (object);
  if (!self->context)
    self->context = g_main_context_ref_thread_default ();
  self->main_loop = g_main_loop_new (self->context, FALSE);
}

static void
milter_glib_event_loop_set_property (GObject *object,
                                     guint prop_id,
                                     const GValue *value,
                                     GParamSpec *pspec)
{
  MilterGLibEventLoop *self = MILTER_GLIB_EVENT_LOOP (object);

  switch (prop_id) {
  case PROP_CONTEXT:
    self->context = g_value_dup_boxed (value);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
milter_glib_event_loop_get_property (GObject *object,
                                     guint prop_id,
                                     GValue *value,
                                     GParamSpec *pspec)
{
  MilterGLibEventLoop *self = MILTER_GLIB_EVENT_LOOP (object);

  switch (prop_id) {
  case PROP_CONTEXT:
    g_value_set_boxed (value, self->context);
    break;
  default:
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    break;
  }
}

static void
milter_glib_event_loop_finalize (GObject *object)
{
  MilterGLibEventLoop *self = MILTER_GLIB_EVENT_LOOP (object);
  GList *ids = g_hash_table_get_keys (self->ids);

  if (self->unlocked)
    glib_set_lock (MILTER_EVENT_LOOP (self), NULL, NULL, NULL);

  g_hash_table_steal_all (self->ids);
  for (GList *node = ids; node; node = node->next) {
    GSource *source =
      g_main_context_find_source_by_id (self->context,
                                        GPOINTER_TO_UINT (node->data));

    if (source && !g_source_is_destroyed (source))
      g_source_destroy (source);
  }
  g_list_free (ids);
  g_hash_table_unref (self->ids);
  g_clear_pointer (&self->main_loop, g_main_loop_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  G_OBJECT_CLASS (milter_glib_event_loop_parent_class)->finalize (object);
}

static void
milter_glib_event_loop_class_init (MilterGLibEventLoopClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  MilterEventLoopClass *loop_class = MILTER_EVENT_LOOP_CLASS (klass);

  object_class->constructed = milter_glib_event_loop_constructed;
  object_class->set_property = milter_glib_event_loop_set_property;
  object_class->get_property = milter_glib_event_loop_get_property;
  object_class->finalize = milter_glib_event_loop_finalize;

  loop_class->watch_io = glib_watch_io;
  loop_class->add_timeout = glib_add_timeout;
  loop_class->add_idle = glib_add_idle;
  loop_class->watch_child = glib_watch_child;
  loop_class->remove = glib_remove;
  loop_class->run = glib_run;
  loop_class->iterate = glib_iterate;
  loop_class->quit = glib_quit;
  loop_class->set_lock = glib_set_lock;

  /**
   * MilterGLibEventLoop:context:
   *
   * The GMainContext the watches are attached to; NULL at construction
   * means the thread-default context.
   */
  properties[PROP_CONTEXT] =
    g_param_spec_boxed ("context", NULL, NULL, G_TYPE_MAIN_CONTEXT,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPERTIES, properties);
}

static void
milter_glib_event_loop_init (MilterGLibEventLoop *self)
{
  self->ids = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->prune_at = MIN_PRUNE_AT;
}

MilterGLibEventLoop *
milter_glib_event_loop_new (GMainContext *context)
{
  return g_object_new (MILTER_TYPE_GLIB_EVENT_LOOP, "context", context, NULL);
}

GMainContext *
milter_glib_event_loop_get_context (MilterGLibEventLoop *loop)
{
  g_return_val_if_fail (MILTER_IS_GLIB_EVENT_LOOP (loop), NULL);
  return loop->context;
}
