/* x86 vCPU set-up on hosts without KVM mode: kvm_open() fails first, so
 * none of this is ever reached. */
#include <stdlib.h>

#include "cpu/x86/x86-kvm.h"

const KVMArchOps x86_kvm_arch_ops;

X86KvmCpu *x86_kvm_cpu_new(unsigned nr_cpus)
{
    abort();
}

bool x86_kvm_vcpu_reset(KVMVcpu *v, const X86BootEntry *entry,
                        Error **errp)
{
    abort();
}
