/* The Linux/x86 boot protocol's data layout: the setup header of a
 * bzImage and the "zero page" (struct boot_params) a boot loader fills
 * in, from Documentation/arch/x86/boot.rst and zero-page.rst.
 *
 * Written from the field tables of those documents (offsets, sizes,
 * flag bits) rather than taken from <asm/bootparam.h>, so that the boot
 * code and its tests build on any host.  Every offset is asserted.
 */
#ifndef HW_X86_BOOTPARAM_H
#define HW_X86_BOOTPARAM_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* The structures are read and written in host order: little-endian
 * hosts only (every host weft supports is). */
static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the boot structures assume a little-endian host");

/* The setup header, at offset 0x1f1 of both the bzImage file and the
 * zero page. */
typedef struct __attribute__((packed)) X86SetupHeader {
    uint8_t setup_sects;            /* 0x1f1: 512-byte sectors; 0 = 4 */
    uint16_t root_flags;
    uint32_t syssize;               /* protected-mode code, 16-byte units */
    uint16_t ram_size;
    uint16_t vid_mode;
    uint16_t root_dev;
    uint16_t boot_flag;             /* 0x1fe: 0xaa55 */
    uint16_t jump;                  /* 0x200: 0xeb, offset of the end - 0x202 */
    uint32_t header;                /* 0x202: "HdrS" */
    uint16_t version;               /* 0x206: protocol, major << 8 | minor */
    uint32_t realmode_swtch;
    uint16_t start_sys_seg;
    uint16_t kernel_version;
    uint8_t type_of_loader;         /* 0x210 */
    uint8_t loadflags;              /* 0x211 */
    uint16_t setup_move_size;
    uint32_t code32_start;          /* 0x214 */
    uint32_t ramdisk_image;         /* 0x218 */
    uint32_t ramdisk_size;          /* 0x21c */
    uint32_t bootsect_kludge;
    uint16_t heap_end_ptr;          /* 0x224 */
    uint8_t ext_loader_ver;
    uint8_t ext_loader_type;
    uint32_t cmd_line_ptr;          /* 0x228 */
    uint32_t initrd_addr_max;       /* 0x22c: highest byte of the initrd */
    uint32_t kernel_alignment;      /* 0x230 */
    uint8_t relocatable_kernel;     /* 0x234 */
    uint8_t min_alignment;          /* 0x235: log2 */
    uint16_t xloadflags;            /* 0x236 */
    uint32_t cmdline_size;          /* 0x238: without the final NUL */
    uint32_t hardware_subarch;
    uint64_t hardware_subarch_data;
    uint32_t payload_offset;        /* 0x248 */
    uint32_t payload_length;
    uint64_t setup_data;            /* 0x250 */
    uint64_t pref_address;          /* 0x258 */
    uint32_t init_size;             /* 0x260 */
    uint32_t handover_offset;
    uint32_t kernel_info_offset;    /* 0x268 */
} X86SetupHeader;

#define X86_SETUP_HEADER_OFFSET     0x1f1
/* The setup header may be longer than the fields weft knows; the kernel
 * says where its header ends: 0x202 + the byte at 0x201. */
#define X86_SETUP_HEADER_END_BASE   0x202
#define X86_BOOT_FLAG               0xaa55
#define X86_HDRS_MAGIC              0x53726448u     /* "HdrS" */
#define X86_SECTOR_SIZE             512

/* loadflags */
#define X86_LOADED_HIGH             (1u << 0)
#define X86_KASLR_FLAG              (1u << 1)
#define X86_QUIET_FLAG              (1u << 5)
#define X86_KEEP_SEGMENTS           (1u << 6)
#define X86_CAN_USE_HEAP            (1u << 7)

/* xloadflags (protocol 2.12) */
#define X86_XLF_KERNEL_64                   (1u << 0)
#define X86_XLF_CAN_BE_LOADED_ABOVE_4G      (1u << 1)

/* type_of_loader: 0xff, "undefined": weft has no assigned id. */
#define X86_LOADER_TYPE_UNDEFINED   0xff

/* The 64-bit entry point is 0x200 bytes into the protected-mode kernel. */
#define X86_ENTRY64_OFFSET          0x200

/* E820 memory map entry, as the zero page stores it. */
typedef struct __attribute__((packed)) X86E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} X86E820Entry;

enum {
    E820_RAM = 1,
    E820_RESERVED = 2,
    E820_ACPI = 3,
    E820_NVS = 4,
    E820_UNUSABLE = 5,
};

/* The zero page holds at most this many entries. */
#define X86_E820_MAX_ZEROPAGE       128

/* struct boot_params: the fields weft fills, padding for the rest. */
typedef struct __attribute__((packed)) X86BootParams {
    uint8_t screen_info[0x40];              /* 0x000 */
    uint8_t apm_bios_info[0x14];            /* 0x040 */
    uint8_t pad1[4];
    uint64_t tboot_addr;                    /* 0x058 */
    uint8_t ist_info[0x10];                 /* 0x060 */
    uint64_t acpi_rsdp_addr;                /* 0x070 */
    uint8_t pad2[8];
    uint8_t hd0_info[0x10];                 /* 0x080 */
    uint8_t hd1_info[0x10];
    uint8_t sys_desc_table[0x10];           /* 0x0a0 */
    uint8_t olpc_ofw_header[0x10];          /* 0x0b0 */
    uint32_t ext_ramdisk_image;             /* 0x0c0 */
    uint32_t ext_ramdisk_size;              /* 0x0c4 */
    uint32_t ext_cmd_line_ptr;              /* 0x0c8 */
    uint8_t pad3[0x140 - 0xcc];
    uint8_t edid_info[0x80];                /* 0x140 */
    uint8_t efi_info[0x20];                 /* 0x1c0 */
    uint32_t alt_mem_k;                     /* 0x1e0 */
    uint32_t scratch;                       /* 0x1e4 */
    uint8_t e820_entries;                   /* 0x1e8 */
    uint8_t eddbuf_entries;
    uint8_t edd_mbr_sig_buf_entries;
    uint8_t kbd_status;
    uint8_t secure_boot;                    /* 0x1ec */
    uint8_t pad4[2];
    uint8_t sentinel;                       /* 0x1ef */
    uint8_t pad5;
    X86SetupHeader hdr;                     /* 0x1f1 */
    uint8_t pad6[0x290 - 0x1f1 - sizeof(X86SetupHeader)];
    uint32_t edd_mbr_sig_buffer[16];        /* 0x290 */
    X86E820Entry e820_table[X86_E820_MAX_ZEROPAGE];     /* 0x2d0 */
    uint8_t pad7[0x30];
    uint8_t eddbuf[0x1ec];                  /* 0xd00 */
    uint8_t pad8[0x1000 - 0xd00 - 0x1ec];
} X86BootParams;

static_assert(offsetof(X86SetupHeader, boot_flag) == 0x1fe - 0x1f1, "hdr");
static_assert(offsetof(X86SetupHeader, header) == 0x202 - 0x1f1, "hdr");
static_assert(offsetof(X86SetupHeader, type_of_loader) == 0x210 - 0x1f1,
              "hdr");
static_assert(offsetof(X86SetupHeader, cmd_line_ptr) == 0x228 - 0x1f1,
              "hdr");
static_assert(offsetof(X86SetupHeader, xloadflags) == 0x236 - 0x1f1, "hdr");
static_assert(offsetof(X86SetupHeader, pref_address) == 0x258 - 0x1f1,
              "hdr");
static_assert(offsetof(X86SetupHeader, kernel_info_offset) == 0x268 - 0x1f1,
              "hdr");
static_assert(sizeof(X86SetupHeader) == 0x26c - 0x1f1, "hdr size");
static_assert(offsetof(X86BootParams, acpi_rsdp_addr) == 0x70, "bp");
static_assert(offsetof(X86BootParams, ext_cmd_line_ptr) == 0xc8, "bp");
static_assert(offsetof(X86BootParams, e820_entries) == 0x1e8, "bp");
static_assert(offsetof(X86BootParams, sentinel) == 0x1ef, "bp");
static_assert(offsetof(X86BootParams, hdr) == 0x1f1, "bp");
static_assert(offsetof(X86BootParams, edd_mbr_sig_buffer) == 0x290, "bp");
static_assert(offsetof(X86BootParams, e820_table) == 0x2d0, "bp");
static_assert(offsetof(X86BootParams, eddbuf) == 0xd00, "bp");
static_assert(sizeof(X86BootParams) == 4096, "the zero page is one page");
static_assert(sizeof(X86E820Entry) == 20, "e820 entry");

#endif
