/* The main thread's event loop: monitor, UI, timers and device backends
 * by default.  It is also where objects are finalized (hw/core/object.h):
 * finalizers may free memory regions, close backends and touch other
 * objects, which is simplest to reason about in one well-known thread. */
#include <assert.h>
#include <pthread.h>

#include "hw/core/object.h"
#include "system/bql.h"
#include "system/event-loop-internal.h"
#include "util/atomic.h"

/* Set by main_loop_init(), cleared by main_loop_cleanup(), both in the
 * main thread and under defer_lock; read from any thread (atomic). */
static EventLoop *the_main_loop;
/* defer_lock keeps the_main_loop from being cleared while
 * main_loop_defer() queues work on it (so the loop is not freed under
 * it).  Leaf lock, held only around those two short steps. */
static pthread_mutex_t defer_lock = PTHREAD_MUTEX_INITIALIZER;
/* main_loop_init() registered the main thread as an RCU reader, so
 * main_loop_cleanup() unregisters it.  Main thread only. */
static bool registered_rcu_here;

/* The object finalize context: called from the RCU reclaim thread, and
 * from any thread through object_defer_to_main(). */
static void main_loop_defer(void (*fn)(void *opaque), void *opaque)
{
    EventLoop *loop;

    pthread_mutex_lock(&defer_lock);
    loop = atomic_load_acquire(&the_main_loop);
    if (loop) {
        event_loop_run_later(loop, fn, opaque);
    }
    pthread_mutex_unlock(&defer_lock);
    if (!loop) {
        /* Lost a race with main_loop_cleanup(): there is no main loop
         * any more, so run it here, as with no context at all. */
        fn(opaque);
    }
}

EventLoop *main_loop_init(Error **errp)
{
    EventLoop *loop;

    assert(!atomic_read(&the_main_loop));
    if (!weft_rcu_thread_registered()) {
        weft_rcu_register_thread();
        registered_rcu_here = true;
    }
    loop = event_loop_new("main", errp);
    if (!loop) {
        if (registered_rcu_here) {
            weft_rcu_unregister_thread();
            registered_rcu_here = false;
        }
        return NULL;
    }
    event_loop_attach_thread(loop);
    pthread_mutex_lock(&defer_lock);
    atomic_store_release(&the_main_loop, loop);
    pthread_mutex_unlock(&defer_lock);
    object_set_finalize_context(main_loop_defer);
    return loop;
}

EventLoop *main_loop(void)
{
    return atomic_load_acquire(&the_main_loop);
}

void main_loop_cleanup(void)
{
    EventLoop *loop = main_loop();

    if (!loop) {
        return;
    }
    assert(event_loop_in_own_thread(loop));
    assert(!bql_locked());   /* weft_rcu_barrier() below */
    /* Objects already dropped reach their finalize hook and are queued
     * here.  After the hook is gone they are finalized in the RCU
     * reclaim thread; a caller that still holds the old hook finds no
     * main loop once the_main_loop is cleared and runs fn itself. */
    weft_rcu_barrier();
    object_set_finalize_context(NULL);
    pthread_mutex_lock(&defer_lock);
    atomic_store_release(&the_main_loop, NULL);
    pthread_mutex_unlock(&defer_lock);
    /* Whatever was deferred before the store above is queued now. */
    event_loop_flush(loop);
    event_loop_detach_thread(loop);
    event_loop_free(loop);
    if (registered_rcu_here) {
        weft_rcu_unregister_thread();
        registered_rcu_here = false;
    }
}
