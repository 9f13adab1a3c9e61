/* KVM on a host that cannot run it: every entry point says why. */
#include <stdlib.h>
#include <sys/utsname.h>

#include "cpu/kvm/kvm.h"

KVMState *kvm_open(uint64_t tss_addr, Error **errp)
{
    struct utsname u;

    error_setg(errp, "-accel kvm: KVM mode needs an x86-64 Linux host; "
               "this one is %s", uname(&u) == 0 ? u.machine : "unknown");
    return NULL;
}

void kvm_listen_memory(KVMState *s, AddressSpace *mem_as,
                       AddressSpace *io_as)
{
    abort();
}

IrqLine *kvm_gsi_line(KVMState *s, unsigned n)
{
    abort();
}

bool kvm_signal_msi(KVMState *s, uint64_t addr, uint32_t data)
{
    abort();
}

void kvm_irqchip_reset(KVMState *s)
{
    abort();
}

bool kvm_vcpu_create(KVMState *s, KVMVcpu *v, unsigned id,
                     const KVMArchOps *arch, AddressSpace *mem_as,
                     AddressSpace *io_as, Error **errp)
{
    abort();
}

int kvm_system_fd(KVMState *s)
{
    abort();
}

int kvm_vm_fd(KVMState *s)
{
    abort();
}
