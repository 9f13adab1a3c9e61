/* Private to cpu/: shared between cpus.c, cpu-work.c and exclusive.c. */
#ifndef CPU_CPU_INTERNAL_H
#define CPU_CPU_INTERNAL_H

#include "cpu/cpu.h"

/* Sequentially consistent accesses.  The store-then-load handshakes below
 * (cpu_exec_start vs start_exclusive) need a full barrier between the
 * store and the load on both sides; seq_cst accesses give it without
 * __atomic_thread_fence, which ThreadSanitizer does not support. */
#define atomic_store_sc(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define atomic_load_sc(p)     __atomic_load_n((p), __ATOMIC_SEQ_CST)

struct CPUWorkItem {
    CPUWorkItem *next;
    run_on_cpu_func *fn;
    void *data;
    bool free;          /* async: the vCPU frees the item after running it */
    bool exclusive;     /* async_safe: run inside an exclusive section */
    bool done;          /* sync: set under the BQL once fn returned */
};

/* cpu_list_lock protects the CPU list (together with the BQL: changes
 * hold both, readers hold either), pending_cpus and every has_waiter.
 * Order: BQL -> cpu_list_lock -> CPUState.lock. */
extern pthread_mutex_t cpu_list_lock;
/* Gives cpu the lowest free index; false if CPU_MAX are in use. */
bool cpu_list_add(CPUState *cpu);
void cpu_list_remove(CPUState *cpu);

/* cpu-work.c */
bool cpu_work_pending(CPUState *cpu);
/* In cpu's thread, BQL held; may drop and retake it (safe work). */
void cpu_process_work(CPUState *cpu);
/* After the thread exited: frees async items nobody will run. */
void cpu_drop_work(CPUState *cpu);

/* exclusive.c: for a vCPU that blocks inside exec on another thread which
 * may itself wait for an exclusive section: leave the running set while
 * blocked.  cpu_exec_suspend returns whether cpu was running; pass that
 * to the resume function.  The _bql variant is for callers holding the
 * BQL: if it has to wait for an exclusive section, it drops the BQL
 * meanwhile. */
bool cpu_exec_suspend(CPUState *cpu);
void cpu_exec_resume_bql(CPUState *cpu, bool was_running);
/* The calling thread holds an exclusive section. */
bool cpu_in_exclusive_section(void);

/* True if the calling thread is an online RCU reader outside any read
 * section, and took it offline: it may block now.  The same rule as
 * bql_lock(). */
bool cpu_rcu_offline_before_blocking(void);
void cpu_rcu_online_after_blocking(bool was_offlined);

#endif
