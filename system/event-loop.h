/* Event loops: one per thread that serves I/O (the main thread and each
 * iothread), built on epoll.  Each loop runs fd handlers, event-notifier
 * handlers, bottom halves and timers on CLOCK_MONOTONIC, in its own thread.
 *
 * Thread rules: event_loop_set_fd_handler(), event_loop_set_notifier(),
 * timer_new()/timer_mod_ns()/timer_del()/timer_pending() and bh_new()
 * may be called from any thread; the handlers always run in the loop's
 * thread.  bh_schedule(), bh_cancel(), event_loop_notify() and
 * event_loop_stop() are callable from any thread and async-signal-safe.
 * event_loop_run_later() is callable from any thread but allocates, so
 * not from a signal handler.
 *
 * Removing a handler (or deleting a timer) from a thread other than the
 * loop's guarantees that no new call starts once the removal returns; a
 * call already running may still be finishing.  To free the handler's
 * opaque afterwards, free it from the loop's thread, e.g. with
 * event_loop_run_later(loop, free_fn, opaque).  Handlers may add and
 * remove handlers, BHs and timers, themselves included, while they run.
 *
 * The thread that polls a loop owns it (event_loop_in_own_thread); it
 * must be a registered RCU reader, online and outside read sections when
 * it calls event_loop_poll().  The loop keeps it online while
 * dispatching, takes it offline while blocked in epoll_wait, and reports
 * a quiescent state after each iteration.  Handlers run without the BQL
 * unless they take it.
 *
 * Locks inside the loops, iothreads and pool are leaves: none is held
 * while taking another or while calling a handler, so callers may hold
 * any lock (the BQL included) when they call into this API, except where
 * a function says it waits for another thread.
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
/* The calling thread owns the new loop until another thread polls it. */
EventLoop *event_loop_new(const char *name, Error **errp);
/* The loop must not be running; pending BHs are dropped (one-shot ones
 * freed), every bh_new() BH must have been bh_delete()d, timers must have
 * been deleted and no thread-pool request may be waiting to complete in
 * it.  Remaining fd handlers are forgotten (their fds are not closed). */
void event_loop_free(EventLoop *loop);
const char *event_loop_name(const EventLoop *loop);
/* One iteration: waits for events if blocking (until an fd is ready, a
 * BH is scheduled, a timer is due, or event_loop_notify()), then runs
 * ready fd handlers, scheduled BHs and due timers.  Returns true if any
 * handler ran.  May be nested in a handler of the same loop. */
bool event_loop_poll(EventLoop *loop, bool blocking);
/* Runs iterations until event_loop_stop() is called (from any thread).
 * A stop requested while the loop is not running makes the next
 * event_loop_run() return at once (stops do not accumulate). */
void event_loop_run(EventLoop *loop);
void event_loop_stop(EventLoop *loop);
/* Wakes the loop from epoll_wait (any thread). */
void event_loop_notify(EventLoop *loop);
/* The loop the calling thread is polling, else the loop it runs for good
 * (the main thread's, an iothread's), else NULL. */
EventLoop *event_loop_current(void);
bool event_loop_in_own_thread(const EventLoop *loop);

/* fd handlers: NULL read and write handlers remove the fd.  Level
 * triggered; hang-ups and errors go to the handlers that are set.  Use
 * non-blocking fds that epoll accepts (not regular files: that aborts):
 * a handler may be called when the fd is no longer ready (a nested poll
 * consumed the readiness).  Remove the handler before closing the fd. */
void event_loop_set_fd_handler(EventLoop *loop, int fd, IOHandler *read,
                               IOHandler *write, void *opaque);
/* handler(opaque) runs after the notifier was set; the loop clears it
 * first.  NULL handler removes it; once that returns the loop no longer
 * touches en, so it may be cleaned up at once. */
void event_loop_set_notifier(EventLoop *loop, EventNotifier *en,
                             IOHandler *handler, void *opaque);

/* ---- bottom halves: a callback scheduled to run once in the loop */
typedef struct BH BH;
BH *bh_new(EventLoop *loop, IOHandler *cb, void *opaque);
/* Idempotent until it runs: any number of calls from any threads before
 * the loop reaches it run cb once; a call made while cb runs runs it
 * again.  BHs run in the order they were first scheduled. */
void bh_schedule(BH *bh);
void bh_cancel(BH *bh);
/* Frees bh; a scheduled run is cancelled.  Call in the loop's thread (cb
 * may delete its own BH), or when the loop is not running, and when no
 * other thread may still schedule it. */
void bh_delete(BH *bh);
/* Allocates a one-shot BH that frees itself after running. */
void event_loop_run_later(EventLoop *loop, IOHandler *cb, void *opaque);

/* ---- timers on CLOCK_MONOTONIC (ns) */
/* A timer fires once per timer_mod_ns(), never before its deadline (the
 * loop waits on a timerfd with the exact deadline), in deadline order,
 * first armed first among equal deadlines.  A deadline in the past fires
 * at the next iteration. */
typedef struct Timer Timer;
int64_t clock_monotonic_ns(void);
Timer *timer_new(EventLoop *loop, IOHandler *cb, void *opaque);
/* Absolute; re-arms a pending timer. */
void timer_mod_ns(Timer *t, int64_t expire_ns);
void timer_del(Timer *t);
bool timer_pending(Timer *t);
/* Call in the loop's thread, or when the loop is not running. */
void timer_free(Timer *t);

/* ---- the main loop */
/* Creates the main thread's loop and makes it the object finalize
 * context (hw/core/object.h).  The calling thread becomes its owner and,
 * if it was not one already, a registered RCU reader: from then on it
 * must go offline around any blocking wait outside the loop (bql_lock()
 * does so itself). */
EventLoop *main_loop_init(Error **errp);
/* NULL before main_loop_init() and after main_loop_cleanup(). */
EventLoop *main_loop(void);
/* Shutdown, in the main thread without the BQL: objects whose last
 * reference is already gone are finalized here, pending thread-pool
 * completions and posted work run, then the loop is freed (see
 * event_loop_free() for what must be gone by then).  Objects dropped
 * later are finalized in the RCU reclaim thread. */
void main_loop_cleanup(void);

/* ---- iothreads: -object iothread,id=NAME */
/* Each iothread runs its own loop in a thread that blocks every
 * asynchronous signal.  Ids follow QEMU's rule: a letter, then letters,
 * digits, '-', '.' or '_' (at most 63).  create, find and destroy are
 * callable from any thread except the iothread itself (destroy); the
 * pointer stays valid until iothread_destroy(). */
typedef struct IOThread IOThread;
/* Returns once the thread runs and owns its loop.  Fails on an invalid
 * or already used id. */
IOThread *iothread_create(const char *id, Error **errp);
IOThread *iothread_find(const char *id);
EventLoop *iothread_get_loop(IOThread *iot);
const char *iothread_get_id(IOThread *iot);
/* Stops the loop, lets the work already posted to it and its pending
 * thread-pool completions run, joins the thread and frees the loop (see
 * event_loop_free()).  Waits for the thread: do not hold a lock its
 * handlers may take (the BQL, if they take it). */
void iothread_destroy(IOThread *iot);
void iothread_destroy_all(void);

/* ---- worker pool for blocking work */
/* work(opaque) runs in a worker thread and returns a result; then
 * done(opaque, result) runs in `loop`'s thread (NULL loop: the caller's
 * event_loop_current(); NULL done: nothing to call).  Callable from any
 * thread.  Workers start on demand (16 at most by default) and exit after
 * 10 s idle; they block every asynchronous signal.  A worker is an RCU
 * reader, online while work() runs (work may read RCU-protected data)
 * and offline while idle; work that may block for long should go offline
 * around the blocking call so that it does not delay grace periods. */
typedef int ThreadPoolWork(void *opaque);
typedef void ThreadPoolDone(void *opaque, int result);
void thread_pool_submit(EventLoop *loop, ThreadPoolWork *work,
                        ThreadPoolDone *done, void *opaque);
/* Submitted requests whose done callback has not returned yet. */
unsigned thread_pool_pending(void);
/* Workers currently alive (idle or busy), for tests and -d stats. */
unsigned thread_pool_nr_workers(void);
/* Changes the worker cap and the idle timeout (tests, tuning). */
void thread_pool_set_limits(unsigned max_workers, int64_t idle_timeout_ns);
/* Waits until every worker has exited (queued work is run first).  The
 * pool starts workers again on the next submission. */
void thread_pool_shutdown(void);

#endif
