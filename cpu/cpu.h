/* The vCPU thread framework: one host thread per guest CPU, its run loop,
 * kicks, halt, pause/resume, run_on_cpu work items and exclusive sections.
 *
 * Accelerators (the TCG translator, KVM) plug in through AccelOps; each
 * architecture embeds CPUState in its own CPU structure.  The threading
 * rules (locks, lock order, RCU protocol) are in docs/threading.md; the
 * short version is at each function below.
 */
#ifndef CPU_CPU_H
#define CPU_CPU_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/atomic.h"
#include "util/error.h"

/* Upper bound on vCPUs in one machine (QEMU's virt board allows 512). */
#define CPU_MAX 512

/* The kick signal.  vCPU threads block every asynchronous signal except
 * this one; its handler is empty: the signal only interrupts a blocking
 * system call (KVM_RUN together with kvm_run->immediate_exit). */
#define SIG_IPI SIGUSR1

typedef struct CPUState CPUState;
typedef struct CPUWorkItem CPUWorkItem;

/* What AccelOps.exec returns: why the vCPU left guest code. */
enum {
    CPU_EXEC_EXIT = 0,  /* exit_request seen or time slice over: the loop
                         * handles events and calls exec again */
    CPU_EXEC_HALTED,    /* wfi/hlt: sleep until has_work() */
    CPU_EXEC_STOP,      /* stop this vCPU (debug event, fatal guest error)
                         * until the next resume_all_vcpus() */
};

/* Bits of CPUState.interrupt_request.  The architecture defines the
 * meaning; the framework only treats "non-zero" as work by default. */
enum {
    CPU_INTERRUPT_HARD  = 1u << 0,  /* external interrupt line */
    CPU_INTERRUPT_TIMER = 1u << 1,
    CPU_INTERRUPT_IPI   = 1u << 2,
    CPU_INTERRUPT_ARCH  = 1u << 8,  /* first bit free for the architecture */
};

typedef struct AccelOps {
    const char *name;
    /* In the new vCPU thread, before anything else runs there (RCU is
     * registered, current_cpu is set).  Optional. */
    void (*thread_init)(CPUState *cpu);
    /* In the vCPU thread just before it exits.  Optional. */
    void (*thread_exit)(CPUState *cpu);
    /* Runs guest code until exit_request is set (tested at every TB
     * entry), the CPU halts or it wants to stop; returns CPU_EXEC_*.
     * Called without the BQL, RCU-online, between cpu_exec_start() and
     * cpu_exec_end().  An exec that blocks in the host for long (KVM_RUN)
     * goes RCU-offline around the blocking call. */
    int (*exec)(CPUState *cpu);
    /* Extra kick for guest code that does not poll exit_request, e.g.
     * cpu_kick_signal() to interrupt KVM_RUN.  Any thread, any lock held:
     * must not block.  Optional. */
    void (*kick)(CPUState *cpu);
    /* True if a halted CPU should run again (a pending, enabled
     * interrupt).  Called in the vCPU thread, sometimes with cpu->lock
     * held: read atomics only, take no lock.  Optional: default is
     * interrupt_request != 0. */
    bool (*has_work)(CPUState *cpu);
} AccelOps;

typedef void run_on_cpu_func(CPUState *cpu, void *data);

struct CPUState {
    /* Checked by guest code at every translation-block entry: non-zero
     * means "leave guest code now".  Set by cpu_exit()/cpu_kick() from any
     * thread; cleared only by the vCPU's own loop before it looks at the
     * reasons, so no request is lost.  First member, a plain word, so
     * generated code can test it with one load at a fixed offset. */
    uint32_t exit_request;
    /* CPU_INTERRUPT_* bits; atomic.  Set with cpu_interrupt(). */
    uint32_t interrupt_request;

    int index;                  /* 0..CPU_MAX-1, set by cpu_create() */
    pthread_t thread;           /* valid once created */
    const AccelOps *ops;

    /* State flags, all accessed atomically; who writes them:
     *   created, exited:  the vCPU thread, under the BQL;
     *   stop:    set by pause_all_vcpus() under the BQL, cleared by the
     *            vCPU under the BQL when it acknowledges;
     *   stopped: set by the vCPU under the BQL (acknowledged stop, or at
     *            creation), cleared by resume under the BQL;
     *   halted:  the vCPU thread only (the architecture may preset it
     *            before cpu_create() for CPUs that start halted);
     *   exit_thread: cpus_stop_and_join_all() under the BQL. */
    bool created;
    bool stop;
    bool stopped;
    bool halted;
    bool exit_thread;
    bool exited;

    /* lock protects the idle handshake: the vCPU checks whether it may
     * sleep and waits on cond with lock held; anyone who makes it runnable
     * changes the state, then takes lock and broadcasts (cpu_kick).  A
     * leaf lock: nothing else is taken while holding it. */
    pthread_mutex_t lock;
    pthread_cond_t cond;

    /* work_lock protects work_first/work_last, the run_on_cpu queue.
     * Producers are any thread; the consumer is the vCPU thread.  A leaf
     * lock, separate from lock so queueing never waits on the idle
     * handshake. */
    pthread_mutex_t work_lock;
    CPUWorkItem *work_first, *work_last;

    /* Exclusive sections (cpu/exclusive.c): running is true between
     * cpu_exec_start() and cpu_exec_end() (atomic, written by the vCPU);
     * has_waiter is protected by cpu_list_lock. */
    bool running;
    bool has_waiter;

    /* Under the BQL: the vCPU this vCPU waits for in run_on_cpu(), to
     * catch two vCPUs waiting for each other. */
    CPUState *waiting_for;
    /* Under the BQL: the exiting thread ran its last work items; nothing
     * queued now would run. */
    bool work_closed;

    /* Quiescent states this vCPU reported (atomic; for tests and
     * -d stats). */
    unsigned long qs_reports;
};

/* The CPU whose thread this is, NULL outside vCPU threads. */
extern __thread CPUState *current_cpu;

/* ---- lifecycle; all with the BQL held, from a non-vCPU thread */

/* Creates cpu's thread and waits until ops->thread_init has run.  cpu is
 * zeroed by the caller except for halted.  The thread starts *stopped*:
 * guest code runs only after cpus_start_all() (so -S and machine set-up
 * need no extra step).  The first call installs the RCU kick hook. */
bool cpu_create(CPUState *cpu, const AccelOps *ops, Error **errp);
/* Lets every created vCPU run (same as resume_all_vcpus()). */
void cpus_start_all(void);
/* Stops every vCPU thread (queued work runs first), joins it and removes
 * it from the CPU list.  Async work queued after this started is
 * dropped.  The caller may then free the CPUStates. */
void cpus_stop_and_join_all(void);

/* Sets a stop request on every vCPU, kicks them and waits until all are
 * stopped (out of guest code, RCU-offline, waiting).  Not from a vCPU
 * thread: a vCPU asks the main loop to do it. */
void pause_all_vcpus(void);
void resume_all_vcpus(void);
bool cpu_is_stopped(CPUState *cpu);
bool all_vcpus_paused(void);

/* Iteration over created CPUs; hold the BQL (the list changes only under
 * it).  cpu_by_index returns NULL for a free index. */
CPUState *cpu_by_index(int index);
int cpu_index_limit(void);
#define CPU_FOREACH(cpu)                                            \
    for (int cpu_i_ = 0; cpu_i_ < cpu_index_limit(); cpu_i_++)      \
        if (((cpu) = cpu_by_index(cpu_i_)) != NULL)

/* ---- kicks and interrupts; any thread, any lock held, never block */

/* Asks guest code to return at the next TB entry; nothing else.  This is
 * what the RCU kick hook does. */
static inline void cpu_exit(CPUState *cpu)
{
    atomic_store_release(&cpu->exit_request, 1);
}
/* cpu_exit(), plus wakes the vCPU if it sleeps (halted, stopped), plus
 * ops->kick.  Whoever changes something the vCPU must notice (a stop
 * request, work, an interrupt) changes it first, then kicks. */
void cpu_kick(CPUState *cpu);
/* Sends SIG_IPI to the vCPU thread: for AccelOps.kick of accelerators
 * that sleep in the host. */
void cpu_kick_signal(CPUState *cpu);
/* Raises interrupt_request bits and kicks: wakes a halted vCPU if its
 * has_work() becomes true. */
void cpu_interrupt(CPUState *cpu, uint32_t mask);
void cpu_reset_interrupt(CPUState *cpu, uint32_t mask);
static inline bool cpu_is_halted(CPUState *cpu)
{
    return atomic_read(&cpu->halted);
}

/* ---- work items.  They run in cpu's thread between two exec calls, with
 * the BQL held (also when cpu is halted or stopped). */

/* Runs fn(cpu, data) and returns after it ran.  The caller holds the BQL;
 * it is released while waiting.  On cpu's own thread fn runs at once.  A
 * vCPU may call it from inside exec, but two vCPUs must never wait for
 * each other (asserted): from guest instructions prefer the async form.
 * Not inside an exclusive section (vCPUs cannot run work then).  If cpu's
 * thread is exiting (cpus_stop_and_join_all), fn does not run. */
void run_on_cpu(CPUState *cpu, run_on_cpu_func *fn, void *data);
/* Queues fn(cpu, data) and returns.  Any thread, with or without the
 * BQL.  Items queued by one thread run in the order they were queued. */
void async_run_on_cpu(CPUState *cpu, run_on_cpu_func *fn, void *data);
/* Like async_run_on_cpu, but fn runs inside an exclusive section and
 * *without* the BQL (start_exclusive may not be called with it). */
void async_safe_run_on_cpu(CPUState *cpu, run_on_cpu_func *fn, void *data);

/* ---- exclusive sections */

/* Returns when no vCPU runs guest code; until end_exclusive(), none
 * enters it.  Call with no lock held (not the BQL, no device lock): a
 * vCPU in guest code may be waiting for one.  Inside, the BQL and device
 * locks may be taken.  A vCPU may call it from inside exec; it then
 * counts as out of guest code until end_exclusive().  Not nested.  Do
 * not wait for an RCU grace period inside. */
void start_exclusive(void);
void end_exclusive(void);
/* Brackets around AccelOps.exec, called by the vCPU loop.  Cheap (one
 * store and one load) when no exclusive section is pending. */
void cpu_exec_start(CPUState *cpu);
void cpu_exec_end(CPUState *cpu);

#endif
