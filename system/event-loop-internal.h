/* Private to system/: what the main loop, the iothreads and the worker
 * pool need from the event-loop core and from each other.  Nothing outside
 * system/ includes this header. */
#ifndef SYSTEM_EVENT_LOOP_INTERNAL_H
#define SYSTEM_EVENT_LOOP_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "system/event-loop.h"
#include "util/error.h"
#include "util/rcu.h"

/* Makes the calling thread the owner of loop (event_loop_in_own_thread)
 * and makes event_loop_current() return it in this thread from now on.
 * Used by the thread that will run the loop for its whole life. */
void event_loop_attach_thread(EventLoop *loop);
/* Forgets the attachment made above (the thread is about to exit or to
 * hand the loop over). */
void event_loop_detach_thread(EventLoop *loop);

/* Work in flight elsewhere that will complete in loop (thread-pool
 * requests whose done callback has not run).  event_loop_free() asserts
 * there is none; a loop's thread drains them before it exits. */
void event_loop_inflight_inc(EventLoop *loop);
void event_loop_inflight_dec(EventLoop *loop);
unsigned event_loop_inflight(EventLoop *loop);

/* Runs what was handed to loop before its thread stops for good: waits
 * for in-flight thread-pool completions, then iterates without blocking
 * until nothing runs.  Bounded: a loop still busy after many iterations
 * (a BH that reschedules itself, an fd that stays readable) is busy for
 * good, and what it holds is left to event_loop_free(). */
void event_loop_flush(EventLoop *loop);

/* Starts a joinable thread named name (truncated to 15 characters) with
 * every asynchronous signal blocked: signals such as the vCPU kick go to
 * the threads that ask for them.  Fault signals (SIGSEGV, SIGBUS, SIGILL,
 * SIGFPE) stay deliverable so that crashes are reported. */
bool system_thread_create(pthread_t *thread, const char *name,
                          void *(*fn)(void *), void *arg, Error **errp);

/* A registered RCU reader that is about to block on another thread goes
 * offline first: a grace period must never wait for a thread that waits.
 * (It also avoids a deadlock on liburcu's registry lock, which thread
 * registration and unregistration take.)  Returns whether it went
 * offline; pass that to rcu_offline_end(). */
static inline bool rcu_offline_begin(void)
{
    if (weft_rcu_thread_registered() && weft_rcu_thread_online() &&
        !weft_rcu_in_read_section()) {
        weft_rcu_go_offline();
        return true;
    }
    return false;
}

static inline void rcu_offline_end(bool went_offline)
{
    if (went_offline) {
        weft_rcu_go_online();
    }
}

#endif
