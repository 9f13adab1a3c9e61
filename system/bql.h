/* The big lock.  It protects machine-level state (reset, plug/unplug,
 * memory-map writes) and the state of devices not marked lockless.
 * Lock order: the BQL before any device lock; never take the BQL while
 * holding a device lock. */
#ifndef SYSTEM_BQL_H
#define SYSTEM_BQL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

/* A registered RCU reader that has to wait for the BQL goes offline while
 * it waits, so that a grace period does not wait on the BQL holder.  It
 * must therefore hold no RCU-protected pointer across bql_lock() (take a
 * reference on the owner first) and must not be inside a read section. */
void bql_lock(void);
void bql_unlock(void);
bool bql_locked(void);
/* pthread_cond_wait on the BQL; the caller holds it. */
void bql_cond_wait(pthread_cond_t *cond);
/* Returns false on timeout.  abs_ns is CLOCK_REALTIME, as pthread wants. */
bool bql_cond_timedwait(pthread_cond_t *cond, int64_t abs_ns);
/* Number of acquisitions since start, for tests and -d stats. */
unsigned long bql_acquisitions(void);

#endif
