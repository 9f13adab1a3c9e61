/* MSI and MSI-X of the PCI core (pci.h declares the device API; the
 * locking rules are there too).  Split from pci.c, which calls the
 * config-change and reset hooks declared in pci-internal.h. */
#include <assert.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "hw/pci/pci.h"
#include "hw/pci/pci-internal.h"
#include "util/atomic.h"
#include "util/log.h"

/* MSI */

/* msi_lock held. */
static void pci_msi_deliver(PCIDevice *d, uint64_t addr, uint32_t data)
{
    PCIHost *host = d->bus->host;

    if (host->msi_notify) {
        host->msi_notify(host, d, addr, data);
        return;
    }
    if (!d->msi_logged) {
        d->msi_logged = true;
        pci_log(d, "MSI message to 0x%" PRIx64 " dropped: the board has "
                "no MSI controller", addr);
    }
}

bool msi_init(PCIDevice *d, uint8_t offset, Error **errp)
{
    uint8_t off = pci_add_capability(d, PCI_CAP_ID_MSI, offset,
                                     PCI_MSI_CAP_SIZE, errp);

    if (!off) {
        return false;
    }
    d->msi_cap = off;
    /* One vector (QMASK 0), 64-bit address, per-vector masking: layout
     * address lo 4, hi 8, data 0xc, mask 0x10, pending 0x14. */
    pci_set_word(d->config + off + PCI_MSI_FLAGS,
                 PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT);
    pci_set_word(d->wmask + off + PCI_MSI_FLAGS, PCI_MSI_FLAGS_ENABLE);
    pci_set_long(d->wmask + off + PCI_MSI_ADDRESS_LO, 0xfffffffc);
    pci_set_long(d->wmask + off + PCI_MSI_ADDRESS_HI, 0xffffffff);
    pci_set_word(d->wmask + off + 0x0c, 0xffff);
    pci_set_long(d->wmask + off + 0x10, 1);
    return true;
}

bool msi_enabled(PCIDevice *d)
{
    return d->msi_cap && atomic_read(&d->msi_enabled);
}

/* BQL: the MSI capability was written (or reset). */
void msi_config_changed(PCIDevice *d)
{
    const uint8_t *c = d->config + d->msi_cap;

    pthread_mutex_lock(&d->msi_lock);
    atomic_set(&d->msi_enabled,
               pci_get_word(c + PCI_MSI_FLAGS) & PCI_MSI_FLAGS_ENABLE);
    d->msi_addr = pci_get_long(c + PCI_MSI_ADDRESS_LO) |
                  (uint64_t)pci_get_long(c + PCI_MSI_ADDRESS_HI) << 32;
    d->msi_data = pci_get_word(c + 0x0c);
    d->msi_masked = pci_get_long(c + 0x10) & 1;
    if (!d->msi_enabled) {
        d->msi_pending = false;
    } else if (!d->msi_masked && d->msi_pending) {
        d->msi_pending = false;
        pci_msi_deliver(d, d->msi_addr, d->msi_data);
    }
    pthread_mutex_unlock(&d->msi_lock);
}

void msi_notify(PCIDevice *d)
{
    if (!d->msi_cap) {
        return;
    }
    pthread_mutex_lock(&d->msi_lock);
    if (d->msi_enabled) {
        if (d->msi_masked) {
            d->msi_pending = true;
        } else {
            pci_msi_deliver(d, d->msi_addr, d->msi_data);
        }
    }
    pthread_mutex_unlock(&d->msi_lock);
}

/* ------------------------------------------------------------------ */
/* MSI-X */

/* msi_lock held. */
static bool msix_vector_masked(PCIDevice *d, unsigned v)
{
    const uint8_t *e = d->msix_table + v * PCI_MSIX_ENTRY_SIZE;

    return d->msix_function_masked ||
           (e[PCI_MSIX_ENTRY_VECTOR_CTRL] & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static bool msix_pending(PCIDevice *d, unsigned v)
{
    return d->msix_pba[v / 8] & (1u << (v % 8));
}

static void msix_set_pending(PCIDevice *d, unsigned v, bool on)
{
    if (on) {
        d->msix_pba[v / 8] |= 1u << (v % 8);
    } else {
        d->msix_pba[v / 8] &= ~(1u << (v % 8));
    }
}

/* msi_lock held. */
static void msix_send(PCIDevice *d, unsigned v)
{
    const uint8_t *e = d->msix_table + v * PCI_MSIX_ENTRY_SIZE;
    uint64_t addr = pci_get_long(e + PCI_MSIX_ENTRY_LOWER_ADDR) |
                    (uint64_t)pci_get_long(e + PCI_MSIX_ENTRY_UPPER_ADDR)
                    << 32;

    pci_msi_deliver(d, addr, pci_get_long(e + PCI_MSIX_ENTRY_DATA));
}

/* msi_lock held: a vector that is unmasked now sends what it held. */
static void msix_flush_pending(PCIDevice *d, unsigned v)
{
    if (d->msix_enabled && !msix_vector_masked(d, v) &&
        msix_pending(d, v)) {
        msix_set_pending(d, v, false);
        msix_send(d, v);
    }
}

void msix_notify(PCIDevice *d, unsigned v)
{
    if (!d->msix_entries) {
        return;
    }
    pthread_mutex_lock(&d->msi_lock);
    if (v >= d->msix_entries) {
        pci_log(d, "MSI-X vector %u out of range (%u)", v, d->msix_entries);
    } else if (d->msix_enabled) {
        if (msix_vector_masked(d, v)) {
            msix_set_pending(d, v, true);
        } else {
            msix_send(d, v);
        }
    }
    pthread_mutex_unlock(&d->msi_lock);
}

bool msix_enabled(PCIDevice *d)
{
    return d->msix_entries && atomic_read(&d->msix_enabled);
}

static uint64_t msix_table_read(void *opaque, hwaddr off, unsigned size)
{
    PCIDevice *d = opaque;
    uint64_t v = 0;

    pthread_mutex_lock(&d->msi_lock);
    for (unsigned i = 0; i < size; i++) {
        if (off + i < (hwaddr)d->msix_entries * PCI_MSIX_ENTRY_SIZE) {
            v |= (uint64_t)d->msix_table[off + i] << (8 * i);
        }
    }
    pthread_mutex_unlock(&d->msi_lock);
    return v;
}

static void msix_table_write(void *opaque, hwaddr off, uint64_t val,
                             unsigned size)
{
    PCIDevice *d = opaque;
    unsigned v = off / PCI_MSIX_ENTRY_SIZE;

    if (off + size > (hwaddr)d->msix_entries * PCI_MSIX_ENTRY_SIZE ||
        v != (off + size - 1) / PCI_MSIX_ENTRY_SIZE) {
        pci_log(d, "MSI-X table write of %u bytes at 0x%" PRIx64
                " out of range; ignored", size, off);
        return;
    }
    pthread_mutex_lock(&d->msi_lock);
    for (unsigned i = 0; i < size; i++) {
        d->msix_table[off + i] = val >> (8 * i);
    }
    /* Only bit 0 of Vector Control is defined (PCI 3.0 §6.8.2.9). */
    d->msix_table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] &=
        PCI_MSIX_ENTRY_CTRL_MASKBIT;
    for (unsigned i = 1; i < 4; i++) {
        d->msix_table[v * PCI_MSIX_ENTRY_SIZE +
                      PCI_MSIX_ENTRY_VECTOR_CTRL + i] = 0;
    }
    msix_flush_pending(d, v);
    pthread_mutex_unlock(&d->msi_lock);
}

static uint64_t msix_pba_read(void *opaque, hwaddr off, unsigned size)
{
    PCIDevice *d = opaque;
    unsigned bytes = (d->msix_entries + 7) / 8;
    uint64_t v = 0;

    pthread_mutex_lock(&d->msi_lock);
    for (unsigned i = 0; i < size; i++) {
        if (off + i < bytes) {
            v |= (uint64_t)d->msix_pba[off + i] << (8 * i);
        }
    }
    pthread_mutex_unlock(&d->msi_lock);
    return v;
}

static void msix_pba_write(void *opaque, hwaddr off, uint64_t val,
                           unsigned size)
{
    pci_log(opaque, "write to the MSI-X PBA (read-only); ignored");
}

/* Table and PBA take any access of 1 to 8 bytes (drivers use 4 and 8);
 * the handlers see at most 4 and check the range themselves. */
static const MemoryRegionOps msix_table_ops = {
    .read = msix_table_read,
    .write = msix_table_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static const MemoryRegionOps msix_pba_ops = {
    .read = msix_pba_read,
    .write = msix_pba_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

bool msix_init(PCIDevice *d, unsigned n, MemoryRegion *bar, uint8_t bar_nr,
               uint32_t table_off, uint32_t pba_off, uint8_t cap_offset,
               Error **errp)
{
    Object *owner = &d->parent.obj;
    uint64_t table_size = (uint64_t)n * PCI_MSIX_ENTRY_SIZE;
    uint64_t pba_size = ((n + 63) / 64) * 8;
    uint8_t off;

    assert(n >= 1 && n <= PCI_MSIX_MAX_VECTORS && bar_nr < PCI_NUM_BARS);
    assert(!(table_off & 7) && !(pba_off & 7));
    assert(table_off + table_size <= memory_region_size(bar) &&
           pba_off + pba_size <= memory_region_size(bar));
    assert(table_off + table_size <= pba_off ||
           pba_off + pba_size <= table_off);
    off = pci_add_capability(d, PCI_CAP_ID_MSIX, cap_offset,
                             PCI_MSIX_CAP_SIZE, errp);
    if (!off) {
        return false;
    }
    d->msix_cap = off;
    d->msix_entries = n;
    pci_set_word(d->config + off + PCI_MSIX_FLAGS, n - 1);
    pci_set_word(d->wmask + off + PCI_MSIX_FLAGS,
                 PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
    pci_set_long(d->config + off + PCI_MSIX_TABLE, table_off | bar_nr);
    pci_set_long(d->config + off + PCI_MSIX_PBA, pba_off | bar_nr);
    d->msix_table = pci_xzalloc(table_size);
    d->msix_pba = pci_xzalloc(pba_size);
    for (unsigned v = 0; v < n; v++) {
        d->msix_table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] =
            PCI_MSIX_ENTRY_CTRL_MASKBIT;
    }
    memory_region_init_io(&d->msix_table_mr, owner, &msix_table_ops, d,
                          "msix-table", table_size);
    memory_region_init_io(&d->msix_pba_mr, owner, &msix_pba_ops, d,
                          "msix-pba", pba_size);
    memory_region_set_lockless(&d->msix_table_mr, true);
    memory_region_set_lockless(&d->msix_pba_mr, true);
    memory_region_add_subregion(bar, table_off, &d->msix_table_mr);
    memory_region_add_subregion(bar, pba_off, &d->msix_pba_mr);
    d->msix_bar = bar;
    return true;
}

void msix_uninit(PCIDevice *d)
{
    if (!d->msix_bar) {
        return;
    }
    memory_region_del_subregion(d->msix_bar, &d->msix_table_mr);
    memory_region_del_subregion(d->msix_bar, &d->msix_pba_mr);
    memory_region_finalize(&d->msix_table_mr);
    memory_region_finalize(&d->msix_pba_mr);
    d->msix_bar = NULL;
    free(d->msix_table);
    free(d->msix_pba);
    d->msix_table = d->msix_pba = NULL;
}

/* BQL: Message Control was written (or reset). */
void msix_config_changed(PCIDevice *d)
{
    uint16_t flags = pci_get_word(d->config + d->msix_cap + PCI_MSIX_FLAGS);

    pthread_mutex_lock(&d->msi_lock);
    atomic_set(&d->msix_enabled, (flags & PCI_MSIX_FLAGS_ENABLE) != 0);
    d->msix_function_masked = flags & PCI_MSIX_FLAGS_MASKALL;
    for (unsigned v = 0; v < d->msix_entries; v++) {
        msix_flush_pending(d, v);
    }
    pthread_mutex_unlock(&d->msi_lock);
}

void msix_reset(PCIDevice *d)
{
    pthread_mutex_lock(&d->msi_lock);
    memset(d->msix_table, 0, d->msix_entries * PCI_MSIX_ENTRY_SIZE);
    for (unsigned v = 0; v < d->msix_entries; v++) {
        d->msix_table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] =
            PCI_MSIX_ENTRY_CTRL_MASKBIT;
    }
    memset(d->msix_pba, 0, ((d->msix_entries + 63) / 64) * 8);
    pthread_mutex_unlock(&d->msi_lock);
}

/* ------------------------------------------------------------------ */
