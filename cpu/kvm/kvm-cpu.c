/* KVM vCPU threads: creation, the KVM_RUN loop, exits and kicks.
 *
 * Kicks: cpu_kick() sets exit_request, then kvm_cpu_kick() sets
 * kvm_run->immediate_exit and sends SIG_IPI.  The thread clears
 * immediate_exit, then tests exit_request, then enters KVM_RUN, all with
 * sequentially consistent accesses, so a kick either is seen by that
 * test or leaves immediate_exit set for KVM_RUN to return -EINTR at
 * once; a signal that lands while the thread is in the guest makes
 * KVM_RUN return -EINTR too (api.rst, "immediate_exit").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cpu/kvm/kvm-internal.h"
#include "system/runstate.h"
#include "util/compiler.h"
#include "util/rcu.h"

#define store_sc(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define load_sc(p)     __atomic_load_n((p), __ATOMIC_SEQ_CST)

static KVMVcpu *kvm_vcpu_of(CPUState *cs)
{
    return container_of(cs, KVMVcpu, parent);
}

/* ---- exits */

/* KVM_EXIT_IO: count accesses of size bytes each, the data in the run
 * area at data_offset (several for rep ins/outs). */
static void kvm_handle_io(KVMVcpu *v)
{
    struct kvm_run *run = v->run;
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

    for (uint32_t i = 0; i < run->io.count; i++) {
        /* Unassigned ports read as zeros; writes to them vanish. */
        address_space_rw(v->io_as, run->io.port, MEMTXATTRS_UNSPECIFIED,
                         data + i * run->io.size, run->io.size, is_write);
    }
}

/* KVM_EXIT_MMIO: data holds the bytes in guest memory order. */
static void kvm_handle_mmio(KVMVcpu *v)
{
    struct kvm_run *run = v->run;
    uint32_t len = MIN(run->mmio.len, (uint32_t)sizeof(run->mmio.data));

    address_space_rw(v->mem_as, run->mmio.phys_addr, MEMTXATTRS_UNSPECIFIED,
                     run->mmio.data, len, run->mmio.is_write);
}

static int kvm_fatal_exit(KVMVcpu *v, const char *what, uint64_t detail)
{
    error_report("kvm: vCPU %u: %s (0x%" PRIx64 "); stopping the machine",
                 v->id, what, detail);
    qemu_system_shutdown_request(1);
    return CPU_EXEC_STOP;
}

/* Returns -1 to go on running, else a CPU_EXEC_* value. */
static int kvm_handle_exit(KVMVcpu *v)
{
    struct kvm_run *run = v->run;

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        kvm_handle_io(v);
        return -1;
    case KVM_EXIT_MMIO:
        kvm_handle_mmio(v);
        return -1;
    case KVM_EXIT_INTR:
        return CPU_EXEC_EXIT;
    case KVM_EXIT_SHUTDOWN:
        /* A triple fault: what a PC does is reset. */
        qemu_system_reset_request();
        return CPU_EXEC_STOP;
    case KVM_EXIT_SYSTEM_EVENT:
        if (run->system_event.type == KVM_SYSTEM_EVENT_RESET) {
            qemu_system_reset_request();
        } else {
            qemu_system_shutdown_request(0);
        }
        return CPU_EXEC_STOP;
    case KVM_EXIT_HLT:
        /* Only without an in-kernel LAPIC, which weft always has. */
        return CPU_EXEC_HALTED;
    case KVM_EXIT_FAIL_ENTRY:
        return kvm_fatal_exit(v, "KVM_EXIT_FAIL_ENTRY, hardware reason",
                              run->fail_entry.hardware_entry_failure_reason);
    case KVM_EXIT_INTERNAL_ERROR:
        return kvm_fatal_exit(v, "KVM_EXIT_INTERNAL_ERROR, suberror",
                              run->internal.suberror);
    default:
        return kvm_fatal_exit(v, "unhandled exit reason", run->exit_reason);
    }
}

/* ---- AccelOps */

static int kvm_cpu_exec(CPUState *cs)
{
    KVMVcpu *v = kvm_vcpu_of(cs);
    int r;

    for (;;) {
        int err;

        store_sc(&v->run->immediate_exit, 0);
        if (load_sc(&cs->exit_request)) {
            return CPU_EXEC_EXIT;
        }
        /* The guest may run for long: hold up no grace period. */
        weft_rcu_go_offline();
        r = ioctl(v->fd, KVM_RUN, 0);
        err = errno;
        weft_rcu_go_online();
        if (r < 0) {
            if (err == EINTR || err == EAGAIN) {
                return CPU_EXEC_EXIT;
            }
            return kvm_fatal_exit(v, strerror(err), err);
        }
        r = kvm_handle_exit(v);
        if (r >= 0) {
            return r;
        }
    }
}

static void kvm_cpu_kick(CPUState *cs)
{
    KVMVcpu *v = kvm_vcpu_of(cs);

    /* run is mapped before `created` is published and unmapped only
     * after the thread was joined. */
    if (v->run) {
        store_sc(&v->run->immediate_exit, 1);
    }
    cpu_kick_signal(cs);
}

/* In the vCPU thread: the KVM vCPU belongs to it (api.rst: vCPU ioctls
 * come from the thread that created the vCPU). */
static void kvm_cpu_thread_init(CPUState *cs)
{
    KVMVcpu *v = kvm_vcpu_of(cs);
    KVMState *s = v->kvm;
    void *run;

    v->fd = ioctl(s->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
    if (v->fd < 0) {
        error_setg_errno(&v->init_error, errno,
                         "-accel kvm: KVM_CREATE_VCPU %u", v->id);
        return;
    }
    run = mmap(NULL, s->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
               v->fd, 0);
    if (run == MAP_FAILED) {
        error_setg_errno(&v->init_error, errno,
                         "-accel kvm: mmap of vCPU %u's run area", v->id);
        return;
    }
    v->run_size = s->run_size;
    atomic_store_release(&v->run, (struct kvm_run *)run);
    if (v->arch->vcpu_init) {
        v->arch->vcpu_init(v, &v->init_error);
    }
}

static void kvm_cpu_thread_exit(CPUState *cs)
{
    KVMVcpu *v = kvm_vcpu_of(cs);

    /* Kicks test v->run: leave it mapped; the process is ending. */
    if (v->fd >= 0) {
        close(v->fd);
        v->fd = -1;
    }
}

static const AccelOps kvm_accel_ops = {
    .name = "kvm",
    .thread_init = kvm_cpu_thread_init,
    .thread_exit = kvm_cpu_thread_exit,
    .exec = kvm_cpu_exec,
    .kick = kvm_cpu_kick,
};

bool kvm_vcpu_create(KVMState *s, KVMVcpu *v, unsigned id,
                     const KVMArchOps *arch, AddressSpace *mem_as,
                     AddressSpace *io_as, Error **errp)
{
    v->kvm = s;
    v->id = id;
    v->fd = -1;
    v->arch = arch;
    v->mem_as = mem_as;
    v->io_as = io_as;
    if (!cpu_create(&v->parent, &kvm_accel_ops, errp)) {
        return false;
    }
    /* thread_init has run: cpu_create waited for `created`. */
    if (v->init_error) {
        error_propagate(errp, v->init_error);
        v->init_error = NULL;
        return false;
    }
    return true;
}
