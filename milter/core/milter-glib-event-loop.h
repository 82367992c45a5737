/*
 * milter-glib-event-loop - MilterEventLoop on a GLib GMainContext
 *
 * SYNOPSIS
 *   MilterGLibEventLoop *milter_glib_event_loop_new (GMainContext *context);
 *   GMainContext *milter_glib_event_loop_get_context (MilterGLibEventLoop *loop);
 *
 * DESCRIPTION
 *   The default backend. Each watch is a GSource attached to the
 *   "context" property (construct-only; NULL means the thread-default
 *   context at construction time, i.e. the global default context unless
 *   one was pushed), and the watch id is the source id. I/O watches are
 *   g_unix_fd_source_new() sources, so the callback sees G_IO_HUP,
 *   G_IO_ERR and G_IO_NVAL as poll(2) reports them. run() runs a GMainLoop
 *   on the context. Finalizing the object removes its remaining watches
 *   from the context.
 *
 * DIAGNOSTICS
 *   None beyond those of MilterEventLoop.
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>

G_BEGIN_DECLS

#define MILTER_TYPE_GLIB_EVENT_LOOP (milter_glib_event_loop_get_type ())
G_DECLARE_FINAL_TYPE (MilterGLibEventLoop, milter_glib_event_loop,
                      MILTER, GLIB_EVENT_LOOP, MilterEventLoop)

MilterGLibEventLoop *milter_glib_event_loop_new (GMainContext *context);
GMainContext *milter_glib_event_loop_get_context (MilterGLibEventLoop *loop);

G_END_DECLS
