/* The KVM VM: device, capabilities, VM fd, memory listeners, GSI lines
 * and MSIs (x86-64 Linux hosts; see kvm.h). */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

#include "cpu/kvm/kvm-internal.h"
#include "util/compiler.h"

/* The one API version there has ever been (api.rst, KVM_GET_API_VERSION). */
#define KVM_API_VERSION_EXPECTED 12
/* KVM_CAP_NR_MEMSLOTS may be missing: api.rst says 32 then. */
#define KVM_DEFAULT_MEMSLOTS 32

int kvm_ioctl_retry(int fd, unsigned long req, void *arg)
{
    int r;

    do {
        r = ioctl(fd, req, arg);
    } while (r < 0 && errno == EINTR);
    return r;
}

static int kvm_check_cap(int fd, int cap)
{
    int r = ioctl(fd, KVM_CHECK_EXTENSION, cap);

    return r < 0 ? 0 : r;
}

/* Capabilities weft cannot do without, with their names for the error. */
static const struct {
    int cap;
    const char *name;
} kvm_required_caps[] = {
    { KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
    { KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
    { KVM_CAP_PIT2, "KVM_CAP_PIT2" },
    { KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
    { KVM_CAP_SIGNAL_MSI, "KVM_CAP_SIGNAL_MSI" },
    { KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
    { KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
    { KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
    { KVM_CAP_MP_STATE, "KVM_CAP_MP_STATE" },
};

static bool kvm_open_device(KVMState *s, Error **errp)
{
    const char *env = getenv(KVM_DEVICE_ENV);
    int version;

    s->device = env && *env ? env : KVM_DEFAULT_DEVICE;
    s->fd = open(s->device, O_RDWR | O_CLOEXEC);
    if (s->fd < 0) {
        int err = errno;

        error_setg(errp, "-accel kvm: cannot open %s: %s (errno %d)",
                   s->device, strerror(err), err);
        return false;
    }
    version = ioctl(s->fd, KVM_GET_API_VERSION, 0);
    if (version < 0) {
        int err = errno;

        error_setg(errp, "-accel kvm: %s is not a KVM device: "
                   "KVM_GET_API_VERSION: %s (errno %d)", s->device,
                   strerror(err), err);
        return false;
    }
    if (version != KVM_API_VERSION_EXPECTED) {
        error_setg(errp, "-accel kvm: %s speaks KVM API version %d, weft "
                   "needs %d", s->device, version, KVM_API_VERSION_EXPECTED);
        return false;
    }
    for (size_t i = 0; i < ARRAY_SIZE(kvm_required_caps); i++) {
        if (!kvm_check_cap(s->fd, kvm_required_caps[i].cap)) {
            error_setg(errp, "-accel kvm: %s lacks %s", s->device,
                       kvm_required_caps[i].name);
            return false;
        }
    }
    s->run_size = ioctl(s->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if ((long)s->run_size < (long)sizeof(struct kvm_run)) {
        error_setg(errp, "-accel kvm: %s: KVM_GET_VCPU_MMAP_SIZE gave %ld",
                   s->device, (long)s->run_size);
        return false;
    }
    return true;
}

/* x86 VM set-up, in the order api.rst wants: the TSS and identity-map
 * pages before any vCPU, the irqchip before any vCPU, the PIT after the
 * irqchip. */
static bool kvm_setup_vm(KVMState *s, uint64_t tss_addr, Error **errp)
{
    uint64_t ident = tss_addr + 3 * 4096;
    struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

    if (ioctl(s->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)tss_addr) < 0) {
        error_setg_errno(errp, errno, "-accel kvm: KVM_SET_TSS_ADDR");
        return false;
    }
    if (kvm_check_cap(s->fd, KVM_CAP_SET_IDENTITY_MAP_ADDR) &&
        ioctl(s->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0) {
        error_setg_errno(errp, errno, "-accel kvm: KVM_SET_IDENTITY_MAP_ADDR");
        return false;
    }
    if (ioctl(s->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
        error_setg_errno(errp, errno, "-accel kvm: KVM_CREATE_IRQCHIP");
        return false;
    }
    if (ioctl(s->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
        error_setg_errno(errp, errno, "-accel kvm: KVM_CREATE_PIT2");
        return false;
    }
    return kvm_irqchip_snapshot(s, errp);
}

static void kvm_init_gsi_lines(KVMState *s);

KVMState *kvm_open(uint64_t tss_addr, Error **errp)
{
    KVMState *s = calloc(1, sizeof(*s));

    if (!s) {
        error_setg(errp, "-accel kvm: out of memory");
        return NULL;
    }
    s->fd = s->vm_fd = -1;
    if (!kvm_open_device(s, errp)) {
        goto fail;
    }
    do {
        s->vm_fd = ioctl(s->fd, KVM_CREATE_VM, 0);
    } while (s->vm_fd < 0 && errno == EINTR);
    if (s->vm_fd < 0) {
        error_setg_errno(errp, errno, "-accel kvm: %s: KVM_CREATE_VM",
                         s->device);
        goto fail;
    }
    s->nr_slots = kvm_check_cap(s->vm_fd, KVM_CAP_NR_MEMSLOTS);
    if (!s->nr_slots) {
        s->nr_slots = KVM_DEFAULT_MEMSLOTS;
    }
    s->readonly_mem = kvm_check_cap(s->vm_fd, KVM_CAP_READONLY_MEM);
    if (!kvm_setup_vm(s, tss_addr, errp)) {
        goto fail;
    }
    kvm_init_gsi_lines(s);
    return s;

fail:
    if (s->vm_fd >= 0) {
        close(s->vm_fd);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    free(s);
    return NULL;
}

int kvm_system_fd(KVMState *s)
{
    return s->fd;
}

int kvm_vm_fd(KVMState *s)
{
    return s->vm_fd;
}

/* ---- memory */

static int kvm_set_region(void *opaque,
                          const struct kvm_userspace_memory_region *r)
{
    KVMState *s = opaque;

    return kvm_ioctl_retry(s->vm_fd, KVM_SET_USER_MEMORY_REGION,
                           (void *)r) < 0 ? -errno : 0;
}

static int kvm_set_ioeventfd(void *opaque, const struct kvm_ioeventfd *e)
{
    KVMState *s = opaque;

    return kvm_ioctl_retry(s->vm_fd, KVM_IOEVENTFD, (void *)e) < 0 ?
           -errno : 0;
}

static const KVMMemoryOps kvm_memory_ops = {
    .set_region = kvm_set_region,
    .ioeventfd = kvm_set_ioeventfd,
};

void kvm_listen_memory(KVMState *s, AddressSpace *mem_as,
                       AddressSpace *io_as)
{
    kvm_memory_listener_register(&s->mem_listener, &kvm_memory_ops, s,
                                 s->nr_slots, s->readonly_mem, false,
                                 mem_as, "kvm-memory");
    kvm_memory_listener_register(&s->io_listener, &kvm_memory_ops, s,
                                 0, false, true, io_as, "kvm-io");
}

/* ---- interrupts */

/* Any thread: KVM_IRQ_LINE is one ioctl on the VM fd. */
static void kvm_gsi_set(void *opaque, int n, int level)
{
    KVMState *s = opaque;
    struct kvm_irq_level irq = { .irq = n, .level = !!level };

    if (kvm_ioctl_retry(s->vm_fd, KVM_IRQ_LINE, &irq) < 0 &&
        !atomic_xchg(&s->irq_line_warned, 1)) {
        warn_report("kvm: KVM_IRQ_LINE %d: %s", n, strerror(errno));
    }
}

static void kvm_init_gsi_lines(KVMState *s)
{
    for (unsigned i = 0; i < KVM_NR_GSI; i++) {
        irq_init_in(&s->gsi[i], kvm_gsi_set, s, i, NULL);
    }
}

IrqLine *kvm_gsi_line(KVMState *s, unsigned n)
{
    assert(n < KVM_NR_GSI);
    return &s->gsi[n];
}

bool kvm_signal_msi(KVMState *s, uint64_t addr, uint32_t data)
{
    struct kvm_msi msi = {
        .address_lo = (uint32_t)addr,
        .address_hi = (uint32_t)(addr >> 32),
        .data = data,
    };

    /* > 0: delivered; 0: blocked by the guest (masked); < 0: error. */
    return kvm_ioctl_retry(s->vm_fd, KVM_SIGNAL_MSI, &msi) >= 0;
}

/* ---- irqchip and PIT state across machine resets */

bool kvm_irqchip_snapshot(KVMState *s, Error **errp)
{
    for (unsigned i = 0; i < KVM_NR_IRQCHIPS; i++) {
        s->irqchip_reset[i].chip_id = i;
        if (ioctl(s->vm_fd, KVM_GET_IRQCHIP, &s->irqchip_reset[i]) < 0) {
            error_setg_errno(errp, errno, "-accel kvm: KVM_GET_IRQCHIP %u",
                             i);
            return false;
        }
    }
    if (ioctl(s->vm_fd, KVM_GET_PIT2, &s->pit_reset) < 0) {
        error_setg_errno(errp, errno, "-accel kvm: KVM_GET_PIT2");
        return false;
    }
    return true;
}

void kvm_irqchip_reset(KVMState *s)
{
    for (unsigned i = 0; i < KVM_NR_IRQCHIPS; i++) {
        if (ioctl(s->vm_fd, KVM_SET_IRQCHIP, &s->irqchip_reset[i]) < 0) {
            warn_report("kvm: KVM_SET_IRQCHIP %u: %s", i, strerror(errno));
        }
    }
    if (ioctl(s->vm_fd, KVM_SET_PIT2, &s->pit_reset) < 0) {
        warn_report("kvm: KVM_SET_PIT2: %s", strerror(errno));
    }
}
