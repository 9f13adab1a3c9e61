/* Event loops: one per thread that serves I/O (the main thread and each
 * iothread), built on epoll.  Each loop runs fd handlers, event-notifier
 * handlers, bottom halves and timers on CLOCK_MONOTONIC, in its own thread.
 *
 * Thread rules: event_loop_set_fd_handler(), event_loop_set_notifier(),
 * timer_*() and bh_new()/bh_delete() may be called from any thread; the
 * handlers always run in the loop's thread.  bh_schedule() and
 * event_loop_run_later() are callable from any thread, signal-safe too.
 * A loop thread is a registered RCU reader: online while dispatching,
 * offline while blocked in epoll_wait, with a quiescent state per
 * iteration.  Handlers run without the BQL unless they take it.
 */
#ifndef SYSTEM_EVENT_LOOP_H
#define SYSTEM_EVENT_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include "util/error.h"

typedef struct EventLoop EventLoop;
typedef void IOHandler(void *opaque);

/* ---- eventfd wrapper */
typedef struct EventNotifier {
    int fd;
} EventNotifier;

bool event_notifier_init(EventNotifier *en, bool active, Error **errp);
void event_notifier_cleanup(EventNotifier *en);
void event_notifier_set(EventNotifier *en);           /* any thread */
bool event_notifier_test_and_clear(EventNotifier *en);

/* ---- loops */
EventLoop *event_loop_new(const char *name, Error **errp);
/* The loop must not be running; pending BHs are dropped, timers must have
 * been deleted. */
void event_loop_free(EventLoop *loop);
const char *event_loop_name(const EventLoop *loop);
/* One iteration: waits for events if blocking, runs what is ready.
 * Returns true if any handler ran. */
bool event_loop_poll(EventLoop *loop, bool blocking);
/* Runs iterations until event_loop_stop() is called (from any thread). */
void event_loop_run(EventLoop *loop);
void event_loop_stop(EventLoop *loop);
/* Wakes the loop from epoll_wait (any thread). */
void event_loop_notify(EventLoop *loop);
/* The loop of the calling thread, or NULL. */
EventLoop *event_loop_current(void);
bool event_loop_in_own_thread(const EventLoop *loop);

/* fd handlers: NULL read and write handlers remove the fd. */
void event_loop_set_fd_handler(EventLoop *loop, int fd, IOHandler *read,
                               IOHandler *write, void *opaque);
/* handler(opaque) runs after the notifier was set; the loop clears it
 * first.  NULL handler removes it. */
void event_loop_set_notifier(EventLoop *loop, EventNotifier *en,
                             IOHandler *handler, void *opaque);

/* ---- bottom halves: a callback scheduled to run once in the loop */
typedef struct BH BH;
BH *bh_new(EventLoop *loop, IOHandler *cb, void *opaque);
void bh_schedule(BH *bh);        /* idempotent until it runs */
void bh_cancel(BH *bh);
/* Frees bh; a scheduled run is cancelled.  Call in the loop's thread, or
 * when the loop is not running. */
void bh_delete(BH *bh);
/* Allocates a one-shot BH that frees itself after running. */
void event_loop_run_later(EventLoop *loop, IOHandler *cb, void *opaque);

/* ---- timers on CLOCK_MONOTONIC (ns) */
typedef struct Timer Timer;
int64_t clock_monotonic_ns(void);
Timer *timer_new(EventLoop *loop, IOHandler *cb, void *opaque);
void timer_mod_ns(Timer *t, int64_t expire_ns);   /* absolute */
void timer_del(Timer *t);
bool timer_pending(Timer *t);
/* Call in the loop's thread, or when the loop is not running. */
void timer_free(Timer *t);

/* ---- the main loop */
/* Creates the main thread's loop and makes it the object finalize
 * context (hw/core/object.h).  The calling thread becomes its owner. */
EventLoop *main_loop_init(Error **errp);
EventLoop *main_loop(void);

/* ---- iothreads: -object iothread,id=NAME */
typedef struct IOThread IOThread;
IOThread *iothread_create(const char *id, Error **errp);
IOThread *iothread_find(const char *id);
EventLoop *iothread_get_loop(IOThread *iot);
void iothread_destroy(IOThread *iot);   /* stops and joins the thread */
void iothread_destroy_all(void);

/* ---- worker pool for blocking work */
/* work(opaque) runs in a worker thread and returns a result; then
 * done(opaque, result) runs in `loop`'s thread. */
typedef int ThreadPoolWork(void *opaque);
typedef void ThreadPoolDone(void *opaque, int result);
void thread_pool_submit(EventLoop *loop, ThreadPoolWork *work,
                        ThreadPoolDone *done, void *opaque);
/* Number of submitted requests whose done callback has not run yet. */
unsigned thread_pool_pending(void);

#endif
