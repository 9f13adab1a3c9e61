/* The PCI / PCI Express core: PCI buses, the PCI device base type
 * ("pci-device", abstract), configuration space with its write rules,
 * BARs mapped into the bus's memory and I/O spaces, the capability list,
 * MSI, MSI-X, INTx routing with the standard swizzle through bridges,
 * bus-master gating of DMA, and the PCI-to-PCI bridge (type 1 header:
 * bus numbers, windows, secondary bus reset) that root ports build on.
 * docs/pci.md has the whole picture.
 *
 * Threads and locks:
 *  - The BQL protects configuration space (config, wmask, w1cmask), the
 *    BAR and window mappings, the bus tree (devices[], bus numbers) and
 *    bus-master gating.  ECAM is an ordinary (BQL) region, so every
 *    config access from the guest runs under it.
 *  - PCIHost.intx_lock protects INTx state: each device's intx_level and
 *    intx_disabled and the host's per-line counts.  pci_set_irq() takes
 *    it, from any thread (a virtio queue completing in an iothread).
 *    It is a leaf apart from the host's set_irq (an IrqLine: the sink's
 *    own lock follows).
 *  - PCIDevice.msi_lock protects the MSI / MSI-X message state that
 *    notifications read from any thread: the MSI-X table and PBA, the
 *    enable/mask mirrors of both capabilities, the MSI pending bits.
 *    Order: BQL, then a device's own lock (virtio's vdev->lock), then
 *    msi_lock, then the host's msi_notify hook.
 *
 * References: a realized PCI device is referenced by its bus (core
 * rule); while a BAR is mapped, the bus's container holds a reference on
 * the device (memory rule).  A device's bus-master address space is
 * rooted in a region the device owns, so it references the device
 * itself: it is destroyed at unrealize, which breaks that cycle.
 */
#ifndef HW_PCI_PCI_H
#define HW_PCI_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "hw/core/device.h"
#include "memory/memory.h"
#include "util/error.h"

#define TYPE_PCI_DEVICE "pci-device"
#define TYPE_PCI_BRIDGE "pci-bridge-base"
/* Conventional and Express buses share one bus type, so that any PCI
 * device plugs into either; PCIBus.express tells them apart. */
#define TYPE_PCI_BUS "PCI"

#define PCI_CONFIG_SPACE_SIZE  0x100
#define PCIE_CONFIG_SPACE_SIZE 0x1000

#define PCI_DEVFN(slot, fn)  ((((slot) & 0x1f) << 3) | ((fn) & 7))
#define PCI_SLOT(devfn)      (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn)      ((devfn) & 7)
#define PCI_DEVFN_MAX        256
#define PCI_SLOT_MAX         32
#define PCI_FUNC_MAX         8

/* ---- configuration header (PCI Local Bus 3.0 §6.1, bridge 1.2 §3.2) */
#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define  PCI_COMMAND_IO           0x0001
#define  PCI_COMMAND_MEMORY       0x0002
#define  PCI_COMMAND_MASTER       0x0004
#define  PCI_COMMAND_PARITY       0x0040
#define  PCI_COMMAND_SERR         0x0100
#define  PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS              0x06
#define  PCI_STATUS_INTERRUPT     0x0008
#define  PCI_STATUS_CAP_LIST      0x0010
#define  PCI_STATUS_PARITY        0x0100
#define  PCI_STATUS_SIG_TARGET_ABORT 0x0800
#define  PCI_STATUS_REC_TARGET_ABORT 0x1000
#define  PCI_STATUS_REC_MASTER_ABORT 0x2000
#define  PCI_STATUS_SIG_SYSTEM_ERROR 0x4000
#define  PCI_STATUS_DETECTED_PARITY  0x8000
#define PCI_REVISION_ID         0x08
#define PCI_CLASS_PROG          0x09
#define PCI_CLASS_DEVICE        0x0a
#define PCI_CACHE_LINE_SIZE     0x0c
#define PCI_LATENCY_TIMER       0x0d
#define PCI_HEADER_TYPE         0x0e
#define  PCI_HEADER_TYPE_NORMAL   0x00
#define  PCI_HEADER_TYPE_BRIDGE   0x01
#define  PCI_HEADER_TYPE_MULTI_FUNCTION 0x80
#define PCI_BIST                0x0f
#define PCI_BASE_ADDRESS_0      0x10
#define  PCI_BASE_ADDRESS_SPACE_IO    0x01
#define  PCI_BASE_ADDRESS_MEM_TYPE_64 0x04
#define  PCI_BASE_ADDRESS_MEM_PREFETCH 0x08
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c
#define PCI_SUBSYSTEM_ID        0x2e
#define PCI_ROM_ADDRESS         0x30
#define PCI_CAPABILITY_LIST     0x34
#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d

/* Type 1 (PCI-to-PCI bridge) header. */
#define PCI_PRIMARY_BUS         0x18
#define PCI_SECONDARY_BUS       0x19
#define PCI_SUBORDINATE_BUS     0x1a
#define PCI_SEC_LATENCY_TIMER   0x1b
#define PCI_IO_BASE             0x1c
#define PCI_IO_LIMIT            0x1d
#define PCI_SEC_STATUS          0x1e
#define PCI_MEMORY_BASE         0x20
#define PCI_MEMORY_LIMIT        0x22
#define PCI_PREF_MEMORY_BASE    0x24
#define PCI_PREF_MEMORY_LIMIT   0x26
#define  PCI_PREF_RANGE_TYPE_64   0x1
#define PCI_PREF_BASE_UPPER32   0x28
#define PCI_PREF_LIMIT_UPPER32  0x2c
#define PCI_IO_BASE_UPPER16     0x30
#define PCI_IO_LIMIT_UPPER16    0x32
#define PCI_ROM_ADDRESS1        0x38
#define PCI_BRIDGE_CONTROL      0x3e
#define  PCI_BRIDGE_CTL_PARITY    0x01
#define  PCI_BRIDGE_CTL_SERR      0x02
#define  PCI_BRIDGE_CTL_ISA       0x04
#define  PCI_BRIDGE_CTL_VGA       0x08
#define  PCI_BRIDGE_CTL_MASTER_ABORT 0x20
#define  PCI_BRIDGE_CTL_BUS_RESET 0x40

/* Where capabilities may go (after the header, in the 256 bytes). */
#define PCI_CAP_AREA_START      0x40

/* Class codes (class << 8 | subclass; the prog-if is separate). */
#define PCI_CLASS_STORAGE_SCSI        0x0100
#define PCI_CLASS_NETWORK_ETHERNET    0x0200
#define PCI_CLASS_BRIDGE_HOST         0x0600
#define PCI_CLASS_BRIDGE_PCI          0x0604
#define PCI_CLASS_COMMUNICATION_OTHER 0x0780
#define PCI_CLASS_OTHERS              0x00ff

/* Capability ids. */
#define PCI_CAP_ID_PM    0x01
#define PCI_CAP_ID_MSI   0x05
#define PCI_CAP_ID_VNDR  0x09
#define PCI_CAP_ID_EXP   0x10
#define PCI_CAP_ID_MSIX  0x11

/* MSI capability (PCI 3.0 §6.8.1). */
#define PCI_MSI_FLAGS           0x02
#define  PCI_MSI_FLAGS_ENABLE     0x0001
#define  PCI_MSI_FLAGS_QMASK      0x000e
#define  PCI_MSI_FLAGS_QSIZE      0x0070
#define  PCI_MSI_FLAGS_64BIT      0x0080
#define  PCI_MSI_FLAGS_MASKBIT    0x0100
#define PCI_MSI_ADDRESS_LO      0x04
#define PCI_MSI_ADDRESS_HI      0x08    /* 64-bit only */
#define PCI_MSI_CAP_SIZE        0x18    /* 64-bit with per-vector masks */

/* MSI-X capability (PCI 3.0 §6.8.2). */
#define PCI_MSIX_FLAGS          0x02
#define  PCI_MSIX_FLAGS_QSIZE     0x07ff
#define  PCI_MSIX_FLAGS_MASKALL   0x4000
#define  PCI_MSIX_FLAGS_ENABLE    0x8000
#define PCI_MSIX_TABLE          0x04
#define PCI_MSIX_PBA            0x08
#define  PCI_MSIX_BIR             0x7
#define PCI_MSIX_CAP_SIZE       0x0c
#define PCI_MSIX_ENTRY_SIZE     16
#define  PCI_MSIX_ENTRY_LOWER_ADDR 0x0
#define  PCI_MSIX_ENTRY_UPPER_ADDR 0x4
#define  PCI_MSIX_ENTRY_DATA      0x8
#define  PCI_MSIX_ENTRY_VECTOR_CTRL 0xc
#define   PCI_MSIX_ENTRY_CTRL_MASKBIT 0x1
#define PCI_MSIX_MAX_VECTORS    2048

/* PCI Express capability, version 2 (PCIe base 4.0 §7.5.3). */
#define PCI_EXP_FLAGS           0x02
#define  PCI_EXP_FLAGS_VER2       0x0002
#define  PCI_EXP_FLAGS_SLOT       0x0100
#define  PCI_EXP_TYPE_ENDPOINT    0x0
#define  PCI_EXP_TYPE_ROOT_PORT   0x4
#define  PCI_EXP_TYPE_RC_END      0x9
#define PCI_EXP_DEVCAP          0x04
#define  PCI_EXP_DEVCAP_RBER      0x00008000
#define PCI_EXP_DEVCTL          0x08
#define PCI_EXP_DEVSTA          0x0a
#define PCI_EXP_LNKCAP          0x0c
#define  PCI_EXP_LNKCAP_SLS_2_5GB 0x00000001
#define  PCI_EXP_LNKCAP_MLW_X1    0x00000010
#define  PCI_EXP_LNKCAP_DLLLARC   0x00100000
#define PCI_EXP_LNKCTL          0x10
#define PCI_EXP_LNKSTA          0x12
#define  PCI_EXP_LNKSTA_CLS_2_5GB 0x0001
#define  PCI_EXP_LNKSTA_NLW_X1    0x0010
#define  PCI_EXP_LNKSTA_DLLLA     0x2000
#define PCI_EXP_SLTCAP          0x14
#define  PCI_EXP_SLTCAP_ABP       0x00000001
#define  PCI_EXP_SLTCAP_PCP       0x00000002
#define  PCI_EXP_SLTCAP_AIP       0x00000008
#define  PCI_EXP_SLTCAP_PIP       0x00000010
#define  PCI_EXP_SLTCAP_HPS       0x00000020
#define  PCI_EXP_SLTCAP_HPC       0x00000040
#define  PCI_EXP_SLTCAP_NCCS      0x00040000
#define  PCI_EXP_SLTCAP_PSN_SHIFT 19
#define PCI_EXP_SLTCTL          0x18
#define  PCI_EXP_SLTCTL_ABPE      0x0001
#define  PCI_EXP_SLTCTL_PFDE      0x0002
#define  PCI_EXP_SLTCTL_MRLSCE    0x0004
#define  PCI_EXP_SLTCTL_PDCE      0x0008
#define  PCI_EXP_SLTCTL_CCIE      0x0010
#define  PCI_EXP_SLTCTL_HPIE      0x0020
#define  PCI_EXP_SLTCTL_AIC       0x00c0
#define   PCI_EXP_SLTCTL_ATTN_IND_ON    0x0040
#define   PCI_EXP_SLTCTL_ATTN_IND_BLINK 0x0080
#define   PCI_EXP_SLTCTL_ATTN_IND_OFF   0x00c0
#define  PCI_EXP_SLTCTL_PIC       0x0300
#define   PCI_EXP_SLTCTL_PWR_IND_ON     0x0100
#define   PCI_EXP_SLTCTL_PWR_IND_BLINK  0x0200
#define   PCI_EXP_SLTCTL_PWR_IND_OFF    0x0300
#define  PCI_EXP_SLTCTL_PCC       0x0400    /* 1: power off */
#define  PCI_EXP_SLTCTL_EIC       0x0800
#define  PCI_EXP_SLTCTL_DLLSCE    0x1000
#define PCI_EXP_SLTSTA          0x1a
#define  PCI_EXP_SLTSTA_ABP       0x0001
#define  PCI_EXP_SLTSTA_PFD       0x0002
#define  PCI_EXP_SLTSTA_MRLSC     0x0004
#define  PCI_EXP_SLTSTA_PDC       0x0008
#define  PCI_EXP_SLTSTA_CC        0x0010
#define  PCI_EXP_SLTSTA_MRLSS     0x0020
#define  PCI_EXP_SLTSTA_PDS       0x0040
#define  PCI_EXP_SLTSTA_EIS       0x0080
#define  PCI_EXP_SLTSTA_DLLSC     0x0100
#define PCI_EXP_RTCTL           0x1c
#define PCI_EXP_RTCAP           0x1e
#define PCI_EXP_RTSTA           0x20
#define  PCI_EXP_RTSTA_PME        0x00010000
#define PCI_EXP_DEVCAP2         0x24
#define PCI_EXP_DEVCTL2         0x28
#define PCI_EXP_LNKCAP2         0x2c
#define  PCI_EXP_LNKCAP2_SLS_2_5GB 0x00000002
#define PCI_EXP_LNKCTL2         0x30
#define PCI_EXP_LNKSTA2         0x32
#define PCI_EXP_SLTCAP2         0x34
#define PCI_EXP_SLTCTL2         0x38
#define PCI_EXP_SLTSTA2         0x3a
#define PCI_EXP_CAP_SIZE        0x3c

/* INTx pins as config space numbers them (0: none). */
#define PCI_INTX_NONE 0
#define PCI_INTA      1
#define PCI_INTD      4
#define PCI_NUM_PINS  4

#define PCI_NUM_BARS 6
#define PCI_BAR_UNMAPPED UINT64_MAX

typedef struct PCIBus PCIBus;
typedef struct PCIDevice PCIDevice;
typedef struct PCIDeviceClass PCIDeviceClass;
typedef struct PCIHost PCIHost;

/* ---- the host bridge side of a root bus */

struct PCIHost {
    /* INTx of the root bus: line n (0..3) for a root-bus device at devfn
     * asserting pin (0: INTA .. 3: INTD); NULL: the standard swizzle
     * (slot + pin) % 4, which is what the virt board's interrupt-map
     * describes. */
    int (*map_irq)(PCIHost *host, int devfn, int pin);
    /* Level of host line n; called with intx_lock held, any thread. */
    void (*set_irq)(PCIHost *host, int line, bool level);
    /* An MSI / MSI-X message from dev (msi_lock held, any thread).
     * NULL: the board has no MSI controller; messages are dropped and
     * logged (drivers do not get MSI there: no msi-parent in the DT). */
    void (*msi_notify)(PCIHost *host, PCIDevice *dev, uint64_t addr,
                       uint32_t data);
    void *opaque;
    /* What bus masters reach (the system memory root).  Set before the
     * first device is realized, constant afterwards. */
    MemoryRegion *dma_root;

    /* Protects line_count and every device's INTx state (see above). */
    pthread_mutex_t intx_lock;
    unsigned line_count[PCI_NUM_PINS];  /* devices asserting each line */
};

/* Sets up the lock; the host fills the hooks and dma_root. */
void pci_host_init(PCIHost *host);

/* ---- buses */

/* A PCI bus.  It lives inside the device that owns it (host bridge or
 * bridge), so it is freed with that device; qbus->opaque points here. */
struct PCIBus {
    Bus *qbus;
    PCIHost *host;
    PCIDevice *bridge;          /* upstream bridge; NULL on a root bus */
    MemoryRegion *mem, *io;     /* where BARs on this bus are mapped */
    bool express;
    /* Devices may use devfn 0 .. max_devfn - 1 (8 behind a PCIe port:
     * device 0 only, all functions). */
    unsigned max_devfn;
    unsigned min_slot;          /* lowest slot auto-assigned */
    /* BQL.  Reachable by config cycles: set when realize succeeded,
     * cleared at isolate. */
    PCIDevice *devices[PCI_DEVFN_MAX];
};

/* BusInfo hooks every PCI bus kind shares; a bridge with a hot-plug
 * slot wraps them in its own BusInfo (see pcie-root-port.c). */
bool pci_bus_pre_plug(Bus *bus, Device *dev, Error **errp);
void pci_bus_isolate(Bus *bus, Device *dev);
void pci_bus_print_dev(Bus *bus, Device *dev, FILE *f, int indent);

/* Creates a root bus named name on host_dev (in its instance_init or
 * realize); bus is embedded in the host's state.  BQL. */
void pci_root_bus_init(PCIBus *bus, Device *host_dev, const char *name,
                       PCIHost *host, MemoryRegion *mem, MemoryRegion *io,
                       bool express);
static inline PCIBus *pci_bus_of(Bus *qbus)
{
    return qbus->opaque;
}
/* The bus numbered busnr below root (0 is the root bus itself), by the
 * bus numbers the guest programmed into the bridges; NULL if none.  BQL. */
PCIBus *pci_find_bus_nr(PCIBus *root, unsigned busnr);
/* Resets every device on bus and below (config, BARs, interrupts).  BQL. */
void pci_bus_reset(PCIBus *bus);

/* ---- devices */

typedef struct PCIIORegion {
    MemoryRegion *mr;           /* NULL: BAR not implemented */
    uint64_t size;              /* power of two */
    uint8_t type;               /* PCI_BASE_ADDRESS_* flags */
    uint64_t addr;              /* where mapped, or PCI_BAR_UNMAPPED */
} PCIIORegion;

struct PCIDevice {
    Device parent;

    /* Properties.  bus_addr (Device) is the devfn ("addr"). */
    bool multifunction;

    /* Set at realize, constant until finalize. */
    PCIBus *bus;
    int devfn;
    uint32_t config_size;       /* 256, or 4096 on an Express bus */
    PCIBus *sec_bus;            /* bridges: the secondary bus */
    bool bm_inited;             /* bus-master regions initialised */
    bool bm_ready;              /* bus-master address space live */

    /* BQL: config space, its write masks, BAR and capability layout. */
    uint8_t config[PCIE_CONFIG_SPACE_SIZE];
    uint8_t wmask[PCIE_CONFIG_SPACE_SIZE];      /* guest-writable bits */
    uint8_t w1cmask[PCIE_CONFIG_SPACE_SIZE];    /* write-1-to-clear */
    uint8_t used[PCI_CONFIG_SPACE_SIZE];        /* bytes taken by caps */
    PCIIORegion bars[PCI_NUM_BARS];
    uint8_t msi_cap, msix_cap, exp_cap;         /* offsets, 0: absent */

    /* Bus master: DMA goes through bm_as, whose root holds an alias of
     * the host's dma_root enabled while Bus Master Enable is set here
     * and on every bridge above.  BQL for the mapping. */
    MemoryRegion bm_root, bm_alias;
    AddressSpace bm_as;

    /* host->intx_lock */
    uint8_t intx_pin;           /* Interrupt Pin (0: none) */
    bool intx_level;            /* the device's own INTx input */
    bool intx_disabled;         /* Command.INTx Disable, or MSI(-X) on */
    bool intx_isolated;         /* unplugged: routes nothing any more */

    /* msi_lock protects the fields below and the MSI-X table/PBA. */
    pthread_mutex_t msi_lock;
    bool msi_enabled;           /* mirrors, updated by config writes */
    bool msi_masked;            /* per-vector mask bit (one vector) */
    bool msi_pending;
    uint64_t msi_addr;
    uint32_t msi_data;
    bool msix_enabled;          /* atomic to read without msi_lock */
    bool msix_function_masked;
    unsigned msix_entries;      /* constant after msix_init */
    uint8_t *msix_table;
    uint8_t *msix_pba;
    /* Set by msix_init, constant until msix_uninit. */
    MemoryRegion *msix_bar;
    MemoryRegion msix_table_mr, msix_pba_mr;
    bool msi_logged;            /* one "no MSI controller" line */
};

struct PCIDeviceClass {
    DeviceClass parent;
    uint16_t vendor_id, device_id;
    uint16_t subsystem_vendor_id, subsystem_id;
    uint8_t revision;
    uint16_t class_id;          /* class << 8 | subclass */
    uint8_t prog_if;
    bool is_bridge;             /* type 1 header */
    /* Device part of realize, after the header is set up; undoes its
     * own work on failure. */
    bool (*realize)(PCIDevice *d, Error **errp);
    /* Undo realize (unplug, BQL). */
    void (*unrealize)(PCIDevice *d);
    /* Config space accesses, already checked: inside config_size, size
     * 1, 2 or 4, naturally aligned.  Default: pci_default_read_config /
     * pci_default_write_config, which overrides should call.  BQL. */
    uint32_t (*config_read)(PCIDevice *d, uint32_t addr, unsigned len);
    void (*config_write)(PCIDevice *d, uint32_t addr, uint32_t val,
                         unsigned len);
    /* Device reset, after the generic one (BQL). */
    void (*reset)(PCIDevice *d);
};

#define PCI_DEVICE(dev) container_of((dev), PCIDevice, parent)
#define PCI_DEVICE_GET_CLASS(d) \
    ((PCIDeviceClass *)DEVICE_GET_CLASS(&(d)->parent))

/* ---- little-endian config space helpers */

static inline void pci_set_byte(uint8_t *p, uint8_t v)
{
    p[0] = v;
}
static inline void pci_set_word(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}
static inline void pci_set_long(uint8_t *p, uint32_t v)
{
    pci_set_word(p, v);
    pci_set_word(p + 2, v >> 16);
}
static inline uint8_t pci_get_byte(const uint8_t *p)
{
    return p[0];
}
static inline uint16_t pci_get_word(const uint8_t *p)
{
    return p[0] | (uint16_t)p[1] << 8;
}
static inline uint32_t pci_get_long(const uint8_t *p)
{
    return pci_get_word(p) | (uint32_t)pci_get_word(p + 2) << 16;
}

/* ---- config space access (BQL) */

/* Checked access, as a config cycle sees it: size 1, 2 or 4, naturally
 * aligned, inside config_size; anything else reads all ones (logged)
 * or is dropped. */
uint32_t pci_config_read(PCIDevice *d, uint32_t addr, unsigned len);
void pci_config_write(PCIDevice *d, uint32_t addr, uint32_t val,
                      unsigned len);
uint32_t pci_default_read_config(PCIDevice *d, uint32_t addr, unsigned len);
void pci_default_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                              unsigned len);
/* True if the access [addr, addr + len) touches [start, start + size). */
static inline bool pci_range_hit(uint32_t addr, unsigned len,
                                 uint32_t start, uint32_t size)
{
    return addr < start + size && start < addr + len;
}

/* ---- set-up, from the device's realize (BQL) */

/* BAR n: mr (owned by the device) of a power-of-two size, type the
 * PCI_BASE_ADDRESS_* flags.  A 64-bit BAR also takes n + 1. */
void pci_register_bar(PCIDevice *d, int n, uint8_t type, MemoryRegion *mr);
/* Links a capability of size bytes at offset (0: the first free dword
 * from 0x40) into the list.  Returns its offset, or 0 with errp when
 * it does not fit. */
uint8_t pci_add_capability(PCIDevice *d, uint8_t cap_id, uint8_t offset,
                           uint8_t size, Error **errp);
/* Walks the capability list: offset of the first cap_id, or 0.
 * Bounded, so a list the device got wrong still ends. */
uint8_t pci_find_capability(PCIDevice *d, uint8_t cap_id);
/* Sets INTx pin (PCI_INTA..; 0: none). */
void pci_set_intx_pin(PCIDevice *d, uint8_t pin);

/* MSI with one vector, 64-bit, maskable. */
bool msi_init(PCIDevice *d, uint8_t offset, Error **errp);
/* MSI-X with n vectors: the table at table_off and the PBA at pba_off
 * inside BAR bar_nr, whose container region is bar (the caller
 * registers the BAR).  The regions are added to bar here. */
bool msix_init(PCIDevice *d, unsigned n, MemoryRegion *bar, uint8_t bar_nr,
               uint32_t table_off, uint32_t pba_off, uint8_t cap_offset,
               Error **errp);
/* Takes the table and PBA out of bar and finalizes them: from the
 * owner's finalize, before it finalizes bar.  Idempotent. */
void msix_uninit(PCIDevice *d);
/* PCIe capability v2 of port type (PCI_EXP_TYPE_*), port number port. */
uint8_t pcie_cap_init(PCIDevice *d, uint8_t offset, uint8_t type,
                      uint8_t port, Error **errp);

/* ---- run time */

/* Any thread.  The device's INTx input; routed to the host line unless
 * Command.INTx Disable is set. */
void pci_set_irq(PCIDevice *d, bool level);
/* Any thread.  MSI-X / MSI state (atomic snapshot / msi_lock). */
bool msix_enabled(PCIDevice *d);
bool msi_enabled(PCIDevice *d);
/* Any thread: signals vector (pending if masked).  Out of range
 * vectors are ignored. */
void msix_notify(PCIDevice *d, unsigned vector);
void msi_notify(PCIDevice *d);
/* The address space the device's DMA goes through. */
AddressSpace *pci_get_address_space(PCIDevice *d);
/* Resets one device (BQL). */
void pci_device_reset(PCIDevice *d);
/* The bus number of d's bus as the guest configured it (root: 0). */
unsigned pci_bus_num(PCIBus *bus);

/* ---- bridges (type 1 header) */

typedef struct PCIBridge {
    PCIDevice parent;
    PCIBus sec;                 /* the secondary bus */
    /* Secondary address spaces and the windows that alias them into the
     * primary bus's spaces (BQL). */
    MemoryRegion sec_mem, sec_io;
    MemoryRegion win_mem, win_pref, win_io;
    bool win_mapped[3];
    bool reset_asserted;        /* Bridge Control secondary bus reset */
} PCIBridge;

#define PCI_BRIDGE(d) container_of((d), PCIBridge, parent)

/* From a bridge's realize: the secondary bus (of kind info, named
 * name, express or not) and the type 1 register rules. */
void pci_bridge_init(PCIBridge *br, const BusInfo *info, const char *name,
                     bool express);
/* The bridge parts of config writes and reset; subclasses chain. */
void pci_bridge_write_config(PCIDevice *d, uint32_t addr, uint32_t val,
                             unsigned len);
void pci_bridge_reset(PCIDevice *d);

#endif
