/*
 * milter-libev-event-loop - MilterEventLoop on libev
 *
 * SYNOPSIS
 *   MilterLibevEventLoop *milter_libev_event_loop_new (gboolean default_loop,
 *                                                      GError **error);
 *
 * DESCRIPTION
 *   Each object owns a private libev loop (ev_loop_new), unless the
 *   construct-only "default-loop" property asks for libev's default loop,
 *   which is shared by the whole process and never destroyed. Watch ids
 *   are this object's own counters.
 *
 *   Child watches use ev_child on the default loop (libev reaps children
 *   there through its SIGCHLD handler). A private loop cannot take SIGCHLD,
 *   so it watches a pidfd (pidfd_open(2), Linux >= 5.3) and falls back to
 *   polling waitpid(WNOHANG) every 50 ms without it. If somebody else
 *   reaped the child first, the callback gets status -1.
 *
 *   libev cannot report G_IO_HUP or G_IO_ERR by themselves: a hang-up or
 *   pending error makes the descriptor readable and writable, so a watch
 *   for G_IO_IN/G_IO_OUT fires and read(2)/write(2) report what happened;
 *   a watch for only G_IO_HUP/G_IO_ERR/G_IO_NVAL never fires. When libev
 *   finds the descriptor invalid it calls the watch once with
 *   G_IO_ERR|G_IO_NVAL and stops watching.
 *
 * DIAGNOSTICS
 *   Construction (a GInitable) fails with MILTER_EVENT_LOOP_ERROR_BACKEND
 *   when libev cannot create a loop (e.g. out of descriptors).
 */
#pragma once

#include <glib-object.h>

#include <milter/core/milter-event-loop.h>

G_BEGIN_DECLS

#define MILTER_TYPE_LIBEV_EVENT_LOOP (milter_libev_event_loop_get_type ())
G_DECLARE_FINAL_TYPE (MilterLibevEventLoop, milter_libev_event_loop,
                      MILTER, LIBEV_EVENT_LOOP, MilterEventLoop)

MilterLibevEventLoop *milter_libev_event_loop_new (gboolean default_loop,
                                                   GError **error);

G_END_DECLS
