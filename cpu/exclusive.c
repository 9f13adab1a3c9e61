/* The CPU list and exclusive sections.
 *
 * An exclusive section must wait for every vCPU to leave guest code, yet a
 * vCPU entering guest code must not pay for a lock.  Each vCPU publishes
 * `running` around AccelOps.exec; a requester publishes `pending_cpus`.
 * Both sides store their own flag and then load the other's, with seq_cst
 * accesses: at least one of them sees the other.  If the requester sees a
 * running vCPU it counts it (has_waiter) and waits for its cpu_exec_end();
 * if the vCPU sees the request before the requester saw it, it steps back
 * and waits for the section to end.  With no section pending, each side
 * costs one store and one load.
 */
#include <assert.h>

#include "cpu/cpu-internal.h"
#include "system/bql.h"
#include "util/rcu.h"

pthread_mutex_t cpu_list_lock = PTHREAD_MUTEX_INITIALIZER;

/* Slots are read atomically without a lock by cpu_by_index() (callers
 * hold the BQL, which every change also holds). */
static CPUState *cpu_slots[CPU_MAX];
static int cpu_slots_limit;             /* one past the highest used slot */

/* 0: no section.  Otherwise 1 (the requester) plus the number of running
 * vCPUs it still waits for.  Written under cpu_list_lock, read without it
 * on the fast paths. */
static int pending_cpus;
/* With cpu_list_lock: the requester waits here for counted vCPUs... */
static pthread_cond_t exclusive_cond = PTHREAD_COND_INITIALIZER;
/* ...and vCPUs (and later requesters) wait here for the section to end. */
static pthread_cond_t exclusive_resume = PTHREAD_COND_INITIALIZER;

static __thread bool in_exclusive;          /* this thread holds it */
static __thread bool exclusive_was_running; /* holder is a vCPU in exec */

bool cpu_list_add(CPUState *cpu)
{
    int i;

    assert(bql_locked());
    pthread_mutex_lock(&cpu_list_lock);
    for (i = 0; i < CPU_MAX && cpu_slots[i]; i++) {
    }
    if (i == CPU_MAX) {
        pthread_mutex_unlock(&cpu_list_lock);
        return false;
    }
    cpu->index = i;
    atomic_store_release(&cpu_slots[i], cpu);
    if (i >= cpu_slots_limit) {
        atomic_set(&cpu_slots_limit, i + 1);
    }
    pthread_mutex_unlock(&cpu_list_lock);
    return true;
}

void cpu_list_remove(CPUState *cpu)
{
    int limit;

    assert(bql_locked());
    pthread_mutex_lock(&cpu_list_lock);
    assert(cpu_slots[cpu->index] == cpu);
    atomic_set(&cpu_slots[cpu->index], NULL);
    for (limit = cpu_slots_limit; limit > 0 && !cpu_slots[limit - 1];
         limit--) {
    }
    atomic_set(&cpu_slots_limit, limit);
    pthread_mutex_unlock(&cpu_list_lock);
}

CPUState *cpu_by_index(int index)
{
    assert(index >= 0 && index < CPU_MAX);
    return atomic_load_acquire(&cpu_slots[index]);
}

int cpu_index_limit(void)
{
    return atomic_read(&cpu_slots_limit);
}

/* cpu_list_lock held.  Offline while blocked: a grace period must not
 * wait for a thread that waits for a section to end. */
static void wait_for_section_end_locked(void)
{
    bool offlined = cpu_rcu_offline_before_blocking();

    while (pending_cpus) {
        pthread_cond_wait(&exclusive_resume, &cpu_list_lock);
    }
    cpu_rcu_online_after_blocking(offlined);
}

static void __attribute__((noinline)) cpu_exec_start_slow(CPUState *cpu)
{
    pthread_mutex_lock(&cpu_list_lock);
    if (!cpu->has_waiter) {
        /* The requester did not count us: stay out until it is done.
         * Setting running again under the lock with no section pending
         * means the next requester will see it. */
        atomic_set(&cpu->running, false);
        wait_for_section_end_locked();
        atomic_set(&cpu->running, true);
    }
    /* else it counted us and kicked us: exec returns at its first TB
     * entry and cpu_exec_end() lets the requester go on. */
    pthread_mutex_unlock(&cpu_list_lock);
}

void cpu_exec_start(CPUState *cpu)
{
    assert(cpu == current_cpu && !bql_locked());
    atomic_store_sc(&cpu->running, true);
    if (unlikely(atomic_load_sc(&pending_cpus))) {
        cpu_exec_start_slow(cpu);
    }
}

static void __attribute__((noinline)) cpu_exec_end_slow(CPUState *cpu)
{
    pthread_mutex_lock(&cpu_list_lock);
    if (cpu->has_waiter) {
        cpu->has_waiter = false;
        atomic_set(&pending_cpus, pending_cpus - 1);
        if (pending_cpus == 1) {
            pthread_cond_signal(&exclusive_cond);
        }
    }
    pthread_mutex_unlock(&cpu_list_lock);
}

void cpu_exec_end(CPUState *cpu)
{
    assert(cpu == current_cpu);
    atomic_store_sc(&cpu->running, false);
    if (unlikely(atomic_load_sc(&pending_cpus))) {
        cpu_exec_end_slow(cpu);
    }
}

bool cpu_exec_suspend(CPUState *cpu)
{
    if (!cpu || !atomic_read(&cpu->running)) {
        return false;
    }
    assert(cpu == current_cpu);
    cpu_exec_end(cpu);
    return true;
}

void cpu_exec_resume_bql(CPUState *cpu, bool was_running)
{
    if (!was_running) {
        return;
    }
    assert(bql_locked());
    for (;;) {
        atomic_store_sc(&cpu->running, true);
        if (likely(!atomic_load_sc(&pending_cpus))) {
            return;
        }
        pthread_mutex_lock(&cpu_list_lock);
        if (cpu->has_waiter) {
            pthread_mutex_unlock(&cpu_list_lock);
            return;
        }
        atomic_set(&cpu->running, false);
        pthread_mutex_unlock(&cpu_list_lock);

        /* The section's owner may need the BQL: wait without it. */
        bql_unlock();
        pthread_mutex_lock(&cpu_list_lock);
        wait_for_section_end_locked();
        pthread_mutex_unlock(&cpu_list_lock);
        bql_lock();
    }
}

void start_exclusive(void)
{
    bool offlined;

    assert(!bql_locked());
    assert(!in_exclusive);
    exclusive_was_running = cpu_exec_suspend(current_cpu);
    offlined = cpu_rcu_offline_before_blocking();

    pthread_mutex_lock(&cpu_list_lock);
    while (pending_cpus) {
        pthread_cond_wait(&exclusive_resume, &cpu_list_lock);
    }
    atomic_store_sc(&pending_cpus, 1);
    for (int i = 0; i < cpu_slots_limit; i++) {
        CPUState *cpu = cpu_slots[i];

        if (cpu && atomic_load_sc(&cpu->running)) {
            assert(!cpu->has_waiter);
            cpu->has_waiter = true;
            atomic_set(&pending_cpus, pending_cpus + 1);
            cpu_kick(cpu);
        }
    }
    while (pending_cpus > 1) {
        pthread_cond_wait(&exclusive_cond, &cpu_list_lock);
    }
    pthread_mutex_unlock(&cpu_list_lock);

    cpu_rcu_online_after_blocking(offlined);
    in_exclusive = true;
}

bool cpu_in_exclusive_section(void)
{
    return in_exclusive;
}

void end_exclusive(void)
{
    /* Locks taken inside are released inside: a vCPU may go back to
     * guest code from here. */
    assert(in_exclusive && !bql_locked());
    in_exclusive = false;
    pthread_mutex_lock(&cpu_list_lock);
    assert(pending_cpus == 1);
    atomic_set(&pending_cpus, 0);
    pthread_cond_broadcast(&exclusive_resume);
    pthread_mutex_unlock(&cpu_list_lock);
    if (exclusive_was_running) {
        cpu_exec_start(current_cpu);
    }
}
