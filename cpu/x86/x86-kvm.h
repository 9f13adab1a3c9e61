/* x86-64 vCPUs under KVM: CPUID, MSRs, the in-kernel LAPIC's LINT pins,
 * and the register state of the 64-bit boot entry (docs/kvm.md).
 *
 * Every function that touches a vCPU runs in that vCPU's thread (as
 * KVMArchOps.vcpu_init, or from run_on_cpu work) with the BQL held.
 */
#ifndef CPU_X86_X86_KVM_H
#define CPU_X86_X86_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/kvm/kvm.h"
#include "util/error.h"

/* Where the boot CPU starts: long mode with the page tables and GDT of
 * hw/x86/x86-boot.h, at rip with rsi = the zero page. */
typedef struct X86BootEntry {
    uint64_t rip;
    uint64_t rsi;
    uint64_t rsp;
    uint64_t cr3;               /* the PML4 */
    uint64_t gdt_base;
    uint16_t gdt_limit;
    const uint64_t *gdt;        /* the descriptors, to derive the segments */
} X86BootEntry;

/* Per-vCPU state of this module; the board allocates it and sets
 * KVMVcpu.arch_state before kvm_vcpu_create(). */
typedef struct X86KvmCpu X86KvmCpu;
X86KvmCpu *x86_kvm_cpu_new(unsigned nr_cpus);

extern const KVMArchOps x86_kvm_arch_ops;

/* Back to power-on state: KVM's reset registers, LAPIC with LINT0 =
 * ExtINT and LINT1 = NMI, CPUID and MSRs; the boot CPU (id 0) then gets
 * the 64-bit entry state and runs, the others wait for INIT/SIPI.  On
 * error the machine is asked to stop and false is returned. */
bool x86_kvm_vcpu_reset(KVMVcpu *v, const X86BootEntry *entry,
                        Error **errp);

#endif
