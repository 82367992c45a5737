/*
 * milter-manager-ruby-stopper-jobs - Ruby stoppers run off the event
 * loop, so that a slow one (a DNS query, a database, a sleep) holds only
 * its own child of its own session.
 *
 * The thread that runs the event loop holds Ruby's global lock (GVL)
 * except while the loop waits: milter_event_loop_set_lock() releases it
 * around the wait. A stopper call becomes a job: the engine's answer is
 * deferred (a ticket), the job goes to a pool of Ruby threads
 * (Embedded.stop_later, embedded.rb), which run while the loop waits;
 * the thread that ran it calls Job#finish, which queues the answer and
 * wakes the loop through an eventfd; the loop answers the ticket. The
 * engine's state is only touched under the GVL, and only by the loop's
 * thread, or by a pool thread through the context of its own job while
 * the loop's thread is blocked in the wait.
 *
 * Only the single-process daemon runs stoppers here: Ruby's thread
 * state does not survive the daemon's own fork(2) of a worker, so
 * workers keep them on their loop (milter-manager-startup.c).
 */
#include "config.h"

#include <errno.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <ruby/thread.h>

#include <milter/core/milter-logger.h>

#include "binding/ruby/milter-manager-ruby-configuration.h"
#include "binding/ruby/milter-manager-ruby-private.h"

typedef struct {
  MilterManagerConditionTicket *ticket;   /* NULL once answered */
  gint stopper;                           /* the answer */
} Job;

static MilterEventLoop *jobs_loop = NULL;
static VALUE job_class = Qnil;
static VALUE pending_jobs = Qnil;   /* the jobs out, so the GC keeps them */
static ID id_stop_later;
static gint wake_fd = -1;
static guint wake_watch = 0;
static GMutex done_mutex;
static GQueue done_jobs = G_QUEUE_INIT;   /* VALUE of finished jobs */

static void
job_free (void *data)
{
  Job *job = data;

  /* A job is dropped only after its answer (pending_jobs holds it
   * until then), so it holds no ticket any more. */
  g_free (job);
}

static const rb_data_type_t job_type = {
  .wrap_struct_name = "MilterManagerStopperJob",
  .function = { .dfree = job_free },
  .flags = RUBY_TYPED_FREE_IMMEDIATELY
};

static Job *
job_of (VALUE self)
{
  return rb_check_typeddata (self, &job_type);
}

MilterManagerConditionContext *
_milter_manager_ruby_job_enter (VALUE job)
{
  Job *data = job_of (job);

  return data->ticket ? milter_manager_condition_ticket_enter (data->ticket) : NULL;
}

/* ---- the lock around the loop's wait ------------------------------------ */

typedef struct {
  MilterEventLoopCall call;
  gpointer data;
} Call;

static void *
call_it (void *data)
{
  Call *call = data;

  call->call (call->data);
  return NULL;
}

static VALUE
wait_body (VALUE data)
{
  rb_thread_call_without_gvl (call_it, (void *) data, NULL, NULL);
  return Qnil;
}

static void
without_gvl (MilterEventLoopCall call, gpointer data, gpointer user_data)
{
  Call it = { call, data };
  int state = 0;

  (void) user_data;
  /* Ruby checks its interrupts when it takes the lock back: one raised
   * there (Thread#raise on the main thread, a trap) must not unwind
   * through the event loop. The wait itself has run. */
  rb_protect (wait_body, (VALUE) &it, &state);
  if (state != 0) {
    rb_set_errinfo (Qnil);
    milter_warning (0, "[applicable-condition][jobs][interrupt] ignored a Ruby "
                    "interrupt of the event loop's thread");
  }
}

static void
with_gvl (MilterEventLoopCall call, gpointer data, gpointer user_data)
{
  Call it = { call, data };

  (void) user_data;
  rb_thread_call_with_gvl (call_it, &it);
}

/* ---- answers back on the loop ------------------------------------------- */

static gboolean
drain (gint fd, GIOCondition condition, gpointer user_data)
{
  guint64 count;
  VALUE job;

  (void) condition;
  (void) user_data;
  if (read (fd, &count, sizeof (count)) < 0 && errno != EAGAIN)
    milter_error (0, "[applicable-condition][jobs][error] reading the wake-up: %s",
                  g_strerror (errno));
  for (;;) {
    Job *data;
    MilterManagerConditionTicket *ticket;

    g_mutex_lock (&done_mutex);
    job = (VALUE) g_queue_pop_head (&done_jobs);
    g_mutex_unlock (&done_mutex);
    if (!job)
      break;
    data = job_of (job);
    ticket = g_steal_pointer (&data->ticket);
    milter_manager_condition_ticket_answer_batch (ticket, data->stopper);
    milter_manager_condition_ticket_free (ticket);
    rb_ary_delete (pending_jobs, job);
  }
  return TRUE;
}

static gboolean
ensure_wake_fd (GError **error)
{
  if (wake_fd < 0)
    wake_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) {
    g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "eventfd: %s", g_strerror (errno));
    return FALSE;
  }
  if (!wake_watch)
    wake_watch = milter_event_loop_watch_io (jobs_loop, wake_fd, G_IO_IN, drain,
                                             NULL, NULL);
  return TRUE;
}

/* Job#finish(INDEX or nil), from the pool thread that ran it. */
static VALUE
job_finish (VALUE self, VALUE index)
{
  Job *job = job_of (self);
  guint64 one = 1;

  job->stopper = FIXNUM_P (index) ? FIX2INT (index) : -1;
  g_mutex_lock (&done_mutex);
  g_queue_push_tail (&done_jobs, (gpointer) self);
  g_mutex_unlock (&done_mutex);
  if (write (wake_fd, &one, sizeof (one)) < 0 && errno != EAGAIN)
    milter_error (0, "[applicable-condition][jobs][error] waking the loop: %s",
                  g_strerror (errno));
  return Qnil;
}

/* ---- public -------------------------------------------------------------- */

void
milter_manager_ruby_conditions_run_on (MilterEventLoop *loop)
{
  if (NIL_P (job_class)) {
    VALUE milter = rb_const_get (rb_cObject, rb_intern ("Milter"));
    VALUE manager = rb_const_get (milter, rb_intern ("Manager"));

    job_class = rb_define_class_under (manager, "StopperJob", rb_cObject);
    rb_undef_alloc_func (job_class);
    rb_define_method (job_class, "finish", job_finish, 1);
    pending_jobs = rb_ary_new ();
    id_stop_later = rb_intern ("stop_later");
    rb_gc_register_address (&job_class);
    rb_gc_register_address (&pending_jobs);
  }
  if (jobs_loop == loop)
    return;
  if (jobs_loop) {
    /* The wake-up is watched on the loop it was made for. */
    if (wake_watch)
      milter_event_loop_remove (jobs_loop, wake_watch);
    wake_watch = 0;
    milter_event_loop_set_lock (jobs_loop, NULL, NULL, NULL);
    g_object_unref (jobs_loop);
  }
  jobs_loop = loop ? g_object_ref (loop) : NULL;
  if (loop)
    milter_event_loop_set_lock (loop, without_gvl, with_gvl, NULL);
}

typedef struct {
  VALUE args[5];
} Submit;

static VALUE
submit_body (VALUE data)
{
  Submit *submit = (Submit *) data;

  return rb_funcallv (milter_manager_ruby_embedded_module (), id_stop_later, 5,
                      submit->args);
}

/* The stopper call as a job; FALSE: run it now instead. make_native
 * makes the job's context object. */
gboolean
_milter_manager_ruby_stop_later (MilterManagerConditionContext *context,
                                 VALUE definitions, VALUE stage,
                                 VALUE (*make_native) (MilterManagerConditionContext *context,
                                                       VALUE job),
                                 VALUE (*make_arguments) (gconstpointer event),
                                 gconstpointer event)
{
  g_autoptr (GError) error = NULL;
  MilterManagerConditionTicket *ticket;
  Job *job;
  VALUE object;
  Submit submit;
  int state = 0;

  if (!jobs_loop || !ensure_wake_fd (&error)) {
    if (error)
      milter_error (0, "[applicable-condition][jobs][error] %s", error->message);
    return FALSE;
  }
  ticket = milter_manager_condition_context_defer (context);
  if (!ticket)
    return FALSE;
  object = TypedData_Make_Struct (job_class, Job, &job_type, job);
  job->ticket = ticket;
  job->stopper = -1;
  rb_ary_push (pending_jobs, object);
  submit = (Submit) {
    { object, definitions, stage, make_native (context, object),
      make_arguments (event) }
  };
  rb_protect (submit_body, (VALUE) &submit, &state);
  if (state != 0) {
    rb_set_errinfo (Qnil);
    milter_error (milter_manager_condition_context_get_session_id (context),
                  "[applicable-condition][jobs][error] the stopper could not be queued");
    /* Answered inside the stop call: "don't stop", at once. */
    job->ticket = NULL;
    milter_manager_condition_ticket_answer_batch (ticket, -1);
    milter_manager_condition_ticket_free (ticket);
    rb_ary_delete (pending_jobs, object);
  }
  return TRUE;
}
