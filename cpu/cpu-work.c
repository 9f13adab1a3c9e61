/* run_on_cpu: functions queued to run in a vCPU's thread.
 *
 * Rule: a work item runs in the target vCPU's thread, between two calls of
 * AccelOps.exec (so the CPU's registers are quiescent), with the BQL held
 * (so it may touch machine state, like any other BQL section).  Safe
 * items (async_safe_run_on_cpu) run instead inside an exclusive section,
 * without the BQL, because start_exclusive() may not be called with it.
 * Items of one vCPU run in queue order.
 */
#include <assert.h>
#include <stdlib.h>

#include "cpu/cpu-internal.h"
#include "system/bql.h"

/* With the BQL: a synchronous item finished (its `done` became true). */
static pthread_cond_t work_done_cond = PTHREAD_COND_INITIALIZER;

bool cpu_work_pending(CPUState *cpu)
{
    return atomic_read(&cpu->work_first) != NULL;
}

static void queue_work(CPUState *cpu, CPUWorkItem *wi)
{
    wi->next = NULL;
    pthread_mutex_lock(&cpu->work_lock);
    if (cpu->work_last) {
        cpu->work_last->next = wi;
    } else {
        atomic_set(&cpu->work_first, wi);
    }
    cpu->work_last = wi;
    pthread_mutex_unlock(&cpu->work_lock);
    /* After queueing: the kick publishes the item (release) or wakes the
     * sleeping vCPU under its lock. */
    cpu_kick(cpu);
}

static CPUWorkItem *dequeue_work(CPUState *cpu)
{
    CPUWorkItem *wi;

    pthread_mutex_lock(&cpu->work_lock);
    wi = cpu->work_first;
    if (wi) {
        atomic_set(&cpu->work_first, wi->next);
        if (!wi->next) {
            cpu->work_last = NULL;
        }
    }
    pthread_mutex_unlock(&cpu->work_lock);
    return wi;
}

static void run_safe_item(CPUState *cpu, CPUWorkItem *wi)
{
    bql_unlock();
    start_exclusive();
    wi->fn(cpu, wi->data);
    end_exclusive();
    bql_lock();
}

void cpu_process_work(CPUState *cpu)
{
    CPUWorkItem *wi;

    assert(cpu == current_cpu && bql_locked());
    while ((wi = dequeue_work(cpu)) != NULL) {
        if (wi->exclusive) {
            run_safe_item(cpu, wi);
        } else {
            wi->fn(cpu, wi->data);
        }
        if (wi->free) {
            free(wi);
        } else {
            /* wi lives on the waiter's stack: last access. */
            atomic_store_release(&wi->done, true);
            pthread_cond_broadcast(&work_done_cond);
        }
    }
}

void cpu_drop_work(CPUState *cpu)
{
    CPUWorkItem *wi;

    while ((wi = dequeue_work(cpu)) != NULL) {
        assert(wi->free);   /* a synchronous caller would wait forever */
        free(wi);
    }
}

void run_on_cpu(CPUState *cpu, run_on_cpu_func *fn, void *data)
{
    CPUState *self = current_cpu;
    CPUWorkItem wi = { .fn = fn, .data = data };
    bool was_running;

    assert(bql_locked());
    if (cpu == self) {
        fn(cpu, data);
        return;
    }
    assert(atomic_load_acquire(&cpu->created));
    assert(!cpu_in_exclusive_section());
    if (cpu->work_closed) {
        return;
    }
    if (self) {
        /* cpu cannot run our item while it waits for us. */
        assert(cpu->waiting_for != self);
        self->waiting_for = cpu;
    }
    /* Waiting inside exec: count as out of guest code meanwhile, or an
     * exclusive section that cpu waits for would wait for us. */
    was_running = cpu_exec_suspend(self);
    queue_work(cpu, &wi);
    while (!atomic_load_acquire(&wi.done)) {
        bql_cond_wait(&work_done_cond);
    }
    if (self) {
        self->waiting_for = NULL;   /* before resume may drop the BQL */
    }
    cpu_exec_resume_bql(self, was_running);
}

static void queue_async(CPUState *cpu, run_on_cpu_func *fn, void *data,
                        bool exclusive)
{
    CPUWorkItem *wi = calloc(1, sizeof(*wi));

    if (!wi) {
        abort();
    }
    wi->fn = fn;
    wi->data = data;
    wi->free = true;
    wi->exclusive = exclusive;
    queue_work(cpu, wi);
}

void async_run_on_cpu(CPUState *cpu, run_on_cpu_func *fn, void *data)
{
    queue_async(cpu, fn, data, false);
}

void async_safe_run_on_cpu(CPUState *cpu, run_on_cpu_func *fn, void *data)
{
    queue_async(cpu, fn, data, true);
}
