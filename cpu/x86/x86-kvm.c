/* x86-64 vCPUs under KVM: see x86-kvm.h.  Written against
 * Documentation/virt/kvm/api.rst (KVM_GET_SUPPORTED_CPUID,
 * KVM_SET_CPUID2, KVM_SET_SREGS, KVM_SET_REGS, KVM_SET_MSRS,
 * KVM_SET_FPU, KVM_GET/SET_LAPIC, KVM_SET_MP_STATE). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "cpu/kvm/kvm-internal.h"
#include "cpu/x86/x86-kvm.h"
#include "hw/x86/x86-boot.h"
#include "system/runstate.h"
#include "util/compiler.h"

/* Grows until KVM_GET_SUPPORTED_CPUID stops saying E2BIG. */
#define CPUID_ENTRIES_START 64
#define CPUID_ENTRIES_MAX   4096

#define CR0_PE  (1ull << 0)
#define CR0_ET  (1ull << 4)
#define CR0_NE  (1ull << 5)
#define CR0_PG  (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

#define MSR_IA32_TSC            0x10
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MISC_ENABLE_FAST_STRING (1ull << 0)
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SYSCALL_MASK        0xc0000084
#define MSR_KERNEL_GS_BASE      0xc0000102

/* LAPIC registers (offsets in kvm_lapic_state.regs) and LVT modes. */
#define APIC_LVT_LINT0          0x350
#define APIC_LVT_LINT1          0x360
#define APIC_DM_MASK            (7u << 8)
#define APIC_DM_NMI             (4u << 8)
#define APIC_DM_EXTINT          (7u << 8)

#define CPUID_1_ECX_HYPERVISOR  (1u << 31)
#define CPUID_1_EDX_HTT         (1u << 28)

struct X86KvmCpu {
    unsigned nr_cpus;
    /* KVM's state of the vCPU right after KVM_CREATE_VCPU: the x86
     * power-on state, restored at every reset. */
    struct kvm_regs reset_regs;
    struct kvm_sregs reset_sregs;
    struct kvm_lapic_state reset_lapic;
    struct kvm_cpuid2 *cpuid;
};

X86KvmCpu *x86_kvm_cpu_new(unsigned nr_cpus)
{
    X86KvmCpu *c = calloc(1, sizeof(*c));

    if (!c) {
        abort();
    }
    c->nr_cpus = nr_cpus;
    return c;
}

static X86KvmCpu *x86_cpu_of(KVMVcpu *v)
{
    return v->arch_state;
}

/* ---- CPUID */

static struct kvm_cpuid2 *get_supported_cpuid(KVMState *s, Error **errp)
{
    for (unsigned n = CPUID_ENTRIES_START; n <= CPUID_ENTRIES_MAX; n *= 2) {
        struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
                                      n * sizeof(c->entries[0]));

        if (!c) {
            abort();
        }
        c->nent = n;
        if (ioctl(kvm_system_fd(s), KVM_GET_SUPPORTED_CPUID, c) == 0) {
            return c;
        }
        free(c);
        if (errno != E2BIG) {
            error_setg_errno(errp, errno,
                             "-accel kvm: KVM_GET_SUPPORTED_CPUID");
            return NULL;
        }
    }
    error_setg(errp, "-accel kvm: KVM_GET_SUPPORTED_CPUID wants more than "
               "%d entries", CPUID_ENTRIES_MAX);
    return NULL;
}

/* Our topology: APIC id = vCPU id, nr_cpus logical processors. */
static void cpuid_set_topology(struct kvm_cpuid2 *c, unsigned apic_id,
                               unsigned nr_cpus)
{
    for (unsigned i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];

        switch (e->function) {
        case 1:
            e->ebx = (e->ebx & 0x0000ffffu) | (apic_id << 24) |
                     (MIN(nr_cpus, 255u) << 16);
            e->ecx |= CPUID_1_ECX_HYPERVISOR;
            if (nr_cpus > 1) {
                e->edx |= CPUID_1_EDX_HTT;
            }
            break;
        case 0xb:
        case 0x1f:
            e->edx = apic_id;   /* x2APIC id of this logical processor */
            break;
        }
    }
}

static bool x86_kvm_vcpu_init(KVMVcpu *v, Error **errp)
{
    X86KvmCpu *c = x86_cpu_of(v);

    c->cpuid = get_supported_cpuid(v->kvm, errp);
    if (!c->cpuid) {
        return false;
    }
    cpuid_set_topology(c->cpuid, v->id, c->nr_cpus);
    if (ioctl(v->fd, KVM_SET_CPUID2, c->cpuid) < 0) {
        error_setg_errno(errp, errno, "-accel kvm: KVM_SET_CPUID2 (vCPU %u)",
                         v->id);
        return false;
    }
    if (ioctl(v->fd, KVM_GET_REGS, &c->reset_regs) < 0 ||
        ioctl(v->fd, KVM_GET_SREGS, &c->reset_sregs) < 0 ||
        ioctl(v->fd, KVM_GET_LAPIC, &c->reset_lapic) < 0) {
        error_setg_errno(errp, errno, "-accel kvm: reading vCPU %u's "
                         "power-on state", v->id);
        return false;
    }
    return true;
}

const KVMArchOps x86_kvm_arch_ops = {
    .vcpu_init = x86_kvm_vcpu_init,
};

/* ---- reset */

static void segment_from_gdt(struct kvm_segment *seg, const uint64_t *gdt,
                             uint16_t selector)
{
    X86Segment d;

    x86_gdt_decode(gdt[selector / 8], &d);
    *seg = (struct kvm_segment) {
        .base = d.base, .limit = d.limit, .selector = selector,
        .type = d.type, .present = d.present, .dpl = d.dpl, .db = d.db,
        .s = d.s, .l = d.l, .g = d.g, .avl = d.avl,
    };
}

/* Long mode as the 64-bit boot protocol wants it: paging on with the
 * identity map, CS = __BOOT_CS, DS/ES/SS = __BOOT_DS, interrupts off
 * (rflags), a usable TR for VMX. */
static void sregs_long_mode(struct kvm_sregs *sr, const X86BootEntry *e)
{
    segment_from_gdt(&sr->cs, e->gdt, X86_BOOT_CS);
    segment_from_gdt(&sr->ds, e->gdt, X86_BOOT_DS);
    sr->es = sr->fs = sr->gs = sr->ss = sr->ds;
    segment_from_gdt(&sr->tr, e->gdt, X86_BOOT_TSS);
    sr->gdt.base = e->gdt_base;
    sr->gdt.limit = e->gdt_limit;
    sr->idt.base = 0;
    sr->idt.limit = 0;
    sr->cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
    sr->cr3 = e->cr3;
    sr->cr4 = CR4_PAE;
    sr->efer = EFER_LME | EFER_LMA;
}

static bool set_msrs(KVMVcpu *v)
{
    static const struct { uint32_t index; uint64_t value; } boot_msrs[] = {
        { MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 },
        { MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 }, { MSR_LSTAR, 0 },
        { MSR_CSTAR, 0 }, { MSR_SYSCALL_MASK, 0 },
        { MSR_KERNEL_GS_BASE, 0 },
        { MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
    };
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e[ARRAY_SIZE(boot_msrs)];
    } msrs = { .hdr.nmsrs = ARRAY_SIZE(boot_msrs) };

    for (size_t i = 0; i < ARRAY_SIZE(boot_msrs); i++) {
        msrs.e[i].index = boot_msrs[i].index;
        msrs.e[i].data = boot_msrs[i].value;
    }
    /* KVM_SET_MSRS returns the number of MSRs it set. */
    return ioctl(v->fd, KVM_SET_MSRS, &msrs) == (int)ARRAY_SIZE(boot_msrs);
}

static bool set_lapic_lint(KVMVcpu *v)
{
    struct kvm_lapic_state lapic = x86_cpu_of(v)->reset_lapic;
    uint32_t lint0, lint1;

    memcpy(&lint0, lapic.regs + APIC_LVT_LINT0, 4);
    memcpy(&lint1, lapic.regs + APIC_LVT_LINT1, 4);
    lint0 = (lint0 & ~APIC_DM_MASK) | APIC_DM_EXTINT;
    lint1 = (lint1 & ~APIC_DM_MASK) | APIC_DM_NMI;
    memcpy(lapic.regs + APIC_LVT_LINT0, &lint0, 4);
    memcpy(lapic.regs + APIC_LVT_LINT1, &lint1, 4);
    return ioctl(v->fd, KVM_SET_LAPIC, &lapic) == 0;
}

static bool reset_failed(KVMVcpu *v, const char *what, Error **errp)
{
    error_setg_errno(errp, errno, "-accel kvm: vCPU %u: %s", v->id, what);
    qemu_system_shutdown_request(1);
    return false;
}

bool x86_kvm_vcpu_reset(KVMVcpu *v, const X86BootEntry *e, Error **errp)
{
    X86KvmCpu *c = x86_cpu_of(v);
    struct kvm_regs regs = c->reset_regs;
    struct kvm_sregs sregs = c->reset_sregs;
    struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };
    bool bsp = v->id == 0;
    struct kvm_mp_state mp = {
        .mp_state = bsp ? KVM_MP_STATE_RUNNABLE : KVM_MP_STATE_UNINITIALIZED,
    };

    if (bsp) {
        sregs_long_mode(&sregs, e);
        regs = (struct kvm_regs) {
            .rflags = 0x2,      /* bit 1 is always set; IF clear */
            .rip = e->rip, .rsi = e->rsi, .rsp = e->rsp, .rbp = e->rsp,
        };
    }
    /* CPUID was set once in vcpu_init: KVM refuses changes after the
     * first KVM_RUN, and nothing changes it. */
    if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0) {
        return reset_failed(v, "KVM_SET_SREGS", errp);
    }
    if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0) {
        return reset_failed(v, "KVM_SET_REGS", errp);
    }
    if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0) {
        return reset_failed(v, "KVM_SET_FPU", errp);
    }
    if (!set_msrs(v)) {
        return reset_failed(v, "KVM_SET_MSRS", errp);
    }
    if (!set_lapic_lint(v)) {
        return reset_failed(v, "KVM_SET_LAPIC", errp);
    }
    if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0) {
        return reset_failed(v, "KVM_SET_MP_STATE", errp);
    }
    return true;
}
