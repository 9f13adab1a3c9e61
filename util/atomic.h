/* Atomic accessors on plain C objects (GCC __atomic builtins).
 *
 * We use builtins rather than _Atomic types so that shared fields stay
 * ordinary struct members and the memory order is visible at each access.
 */
#ifndef UTIL_ATOMIC_H
#define UTIL_ATOMIC_H

#include "util/compiler.h"

#define atomic_read(p)            __atomic_load_n((p), __ATOMIC_RELAXED)
#define atomic_set(p, v)          __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define atomic_load_acquire(p)    __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define atomic_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define atomic_fetch_inc(p)       __atomic_fetch_add((p), 1, __ATOMIC_SEQ_CST)
#define atomic_fetch_dec(p)       __atomic_fetch_sub((p), 1, __ATOMIC_SEQ_CST)
#define atomic_fetch_add_relaxed(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define atomic_add_fetch(p, v)    __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_sub_fetch(p, v)    __atomic_sub_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_or(p, v)     __atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_and(p, v)    __atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
#define atomic_xchg(p, v)         __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
/* Returns the value found at *p; the swap happened iff it equals old. */
#define atomic_cmpxchg(p, old, new) ({                                   \
        __typeof__(*(p)) atomic_cmpxchg_old_ = (old);                     \
        __atomic_compare_exchange_n((p), &atomic_cmpxchg_old_, (new),     \
                false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);               \
        atomic_cmpxchg_old_; })
#ifdef WEFT_TSAN
/* GCC rejects thread fences under -fsanitize=thread.  A sequentially
 * consistent read-modify-write is a full barrier on every host we build
 * TSan for (x86-64: a locked instruction), and TSan models it. */
extern int atomic_tsan_fence_word;
#define smp_mb() \
    ((void)__atomic_fetch_add(&atomic_tsan_fence_word, 0, __ATOMIC_SEQ_CST))
#define smp_rmb() smp_mb()
#define smp_wmb() smp_mb()
#else
#define smp_mb()                  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define smp_rmb()                 __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()                 __atomic_thread_fence(__ATOMIC_RELEASE)
#endif

#endif
