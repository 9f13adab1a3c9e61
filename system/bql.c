#include <assert.h>
#include <errno.h>
#include <time.h>

#include "system/bql.h"
#include "util/atomic.h"
#include "util/rcu.h"

static pthread_mutex_t bql = PTHREAD_MUTEX_INITIALIZER;
static __thread bool bql_held;      /* this thread holds bql */
static unsigned long acquisitions;  /* atomic */

/* True if this thread is an online RCU reader outside any read section,
 * i.e. may and should go offline before blocking. */
static bool rcu_offline_before_blocking(void)
{
    if (weft_rcu_thread_registered() && weft_rcu_thread_online() &&
        !weft_rcu_in_read_section()) {
        weft_rcu_go_offline();
        return true;
    }
    return false;
}

void bql_lock(void)
{
    assert(!bql_held);
    if (pthread_mutex_trylock(&bql) != 0) {
        bool offline = rcu_offline_before_blocking();

        pthread_mutex_lock(&bql);
        if (offline) {
            weft_rcu_go_online();
        }
    }
    bql_held = true;
    atomic_fetch_add_relaxed(&acquisitions, 1);
}

void bql_unlock(void)
{
    assert(bql_held);
    bql_held = false;
    pthread_mutex_unlock(&bql);
}

bool bql_locked(void)
{
    return bql_held;
}

unsigned long bql_acquisitions(void)
{
    return atomic_read(&acquisitions);
}

void bql_cond_wait(pthread_cond_t *cond)
{
    bool offline;

    assert(bql_held);
    bql_held = false;
    offline = rcu_offline_before_blocking();
    pthread_cond_wait(cond, &bql);
    if (offline) {
        weft_rcu_go_online();
    }
    bql_held = true;
}

bool bql_cond_timedwait(pthread_cond_t *cond, int64_t abs_ns)
{
    struct timespec ts = { abs_ns / 1000000000, abs_ns % 1000000000 };
    bool offline;
    int r;

    assert(bql_held);
    bql_held = false;
    offline = rcu_offline_before_blocking();
    r = pthread_cond_timedwait(cond, &bql, &ts);
    if (offline) {
        weft_rcu_go_online();
    }
    bql_held = true;
    return r != ETIMEDOUT;
}
