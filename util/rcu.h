/* weft's RCU: liburcu's QSBR flavour for grace periods, with weft's own
 * reclaim thread so that a grace period can be *requested* from readers.
 *
 * Readers (vCPU threads, event-loop threads, workers) register once and are
 * then "online": every load they make through weft_rcu_dereference() stays
 * valid until they report a quiescent state or go offline.  Read sections
 * cost nothing; weft_rcu_read_lock() only counts nesting so that going
 * offline or reporting inside one is caught by an assertion.
 *
 * Writers publish with weft_rcu_assign_pointer() and free the old object
 * through weft_call_rcu().  They never wait for readers.  The reclaim
 * thread raises weft_rcu_gp_wanted, calls the kick hook (the vCPU layer
 * kicks every vCPU so it leaves guest code) repeatedly until the grace
 * period ends, then runs the callbacks.  The full protocol is in
 * docs/threading.md.
 */
#ifndef UTIL_RCU_H
#define UTIL_RCU_H

#include <stdbool.h>
#include "util/atomic.h"

typedef struct RcuHead RcuHead;
typedef void RcuCallback(RcuHead *head);

struct RcuHead {
    RcuHead *next;
    RcuCallback *func;
};

/* Non-zero while the reclaim thread waits for a grace period.  Threads
 * that run for long without going through an event loop (vCPUs) poll it
 * whenever they leave guest code and call weft_rcu_quiescent_state(). */
extern unsigned weft_rcu_gp_wanted;

static inline bool weft_rcu_quiescent_state_wanted(void)
{
    return atomic_read(&weft_rcu_gp_wanted) != 0;
}

void weft_rcu_register_thread(void);
void weft_rcu_unregister_thread(void);
bool weft_rcu_thread_registered(void);
bool weft_rcu_thread_online(void);

/* Nesting counter only: QSBR read sections are free. */
extern __thread int weft_rcu_read_depth;
static inline void weft_rcu_read_lock(void)
{
    weft_rcu_read_depth++;
}
static inline void weft_rcu_read_unlock(void)
{
    weft_rcu_read_depth--;
}
static inline bool weft_rcu_in_read_section(void)
{
    return weft_rcu_read_depth > 0;
}

/* Must be outside any read section.  Everything this thread read through
 * RCU before the call may be freed after it. */
void weft_rcu_quiescent_state(void);
/* An offline thread is ignored by grace periods: use around blocking. */
void weft_rcu_go_offline(void);
void weft_rcu_go_online(void);

#define weft_rcu_dereference(p)      __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define weft_rcu_assign_pointer(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)

/* Queues func(head) to run in the reclaim thread after a grace period.
 * Callable from any thread, with or without the BQL. */
void weft_call_rcu(RcuHead *head, RcuCallback *func);
/* Waits until every callback queued before the call has run.  Never call
 * it with the BQL held or from an RCU callback. */
void weft_rcu_barrier(void);
/* Waits for one grace period.  Same rules as weft_rcu_barrier(). */
void weft_synchronize_rcu(void);

/* Called repeatedly while a grace period is wanted; the vCPU layer installs
 * a function that kicks every vCPU out of guest code. */
void weft_rcu_set_kick_hook(void (*kick)(void));

/* Counters for tests and -d stats. */
unsigned long weft_rcu_grace_periods(void);

#endif
