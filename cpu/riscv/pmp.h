/*
 * RISC-V physical memory protection (privileged spec 1.12, section 3.7).
 *
 * A RiscvPmp holds the pmpcfg bytes and pmpaddr registers of one hart.
 * The functions are pure: checks take a const pointer and touch nothing
 * else, so any thread may check while holding whatever keeps the state
 * stable (a hart's own thread owns its PMP; CSR writes happen there too).
 *
 * Choices (WARL fields):
 *  - Granularity G = 0: every pmpaddr bit is implemented, regions may be
 *    as small as 4 bytes (NA4), reads return what was written.
 *  - pmpcfg with R=0, W=1 (reserved): W is cleared on write; the other
 *    fields keep the written value.  pmpcfg bits 5-6 read as zero.
 *  - pmpaddr holds physical address bits 55:2 (RV64, 54 bits); upper
 *    bits are dropped on write.
 */
#ifndef CPU_RISCV_PMP_H
#define CPU_RISCV_PMP_H

#include <stdbool.h>
#include <stdint.h>

#define RISCV_PMP_MAX_ENTRIES   64
#define RISCV_PMP_DEFAULT_ENTRIES 16

/* pmpcfg byte fields */
#define RISCV_PMP_R         0x01u
#define RISCV_PMP_W         0x02u
#define RISCV_PMP_X         0x04u
#define RISCV_PMP_A_SHIFT   3
#define RISCV_PMP_A_MASK    (3u << RISCV_PMP_A_SHIFT)
#define RISCV_PMP_L         0x80u

enum {
    RISCV_PMP_A_OFF = 0,
    RISCV_PMP_A_TOR = 1,
    RISCV_PMP_A_NA4 = 2,
    RISCV_PMP_A_NAPOT = 3,
};

/* pmpaddr holds address bits 55:2 on RV64. */
#define RISCV_PMP_ADDR_MASK ((1ull << 54) - 1)

/* Privilege levels, as encoded in mstatus.MPP. */
typedef enum RiscvPriv {
    RISCV_PRIV_U = 0,
    RISCV_PRIV_S = 1,
    RISCV_PRIV_M = 3,
} RiscvPriv;

/* Access types; also used as permission bits (RISCV_PROT_*). */
typedef enum RiscvAccess {
    RISCV_ACCESS_LOAD,
    RISCV_ACCESS_STORE,         /* stores and AMOs */
    RISCV_ACCESS_FETCH,
} RiscvAccess;

/* Permission masks, equal to the pmpcfg/PTE R, W, X encodings shifted
 * down to bit 0 (and to softmmu PAGE_READ/WRITE/EXEC). */
#define RISCV_PROT_R 1u
#define RISCV_PROT_W 2u
#define RISCV_PROT_X 4u
#define RISCV_PROT_RWX 7u

typedef struct RiscvPmp {
    unsigned nr_entries;        /* implemented entries, 0..64 */
    uint8_t cfg[RISCV_PMP_MAX_ENTRIES];
    uint64_t addr[RISCV_PMP_MAX_ENTRIES];
} RiscvPmp;

/* Reset: nr_entries implemented, every entry OFF and unlocked. */
void riscv_pmp_init(RiscvPmp *pmp, unsigned nr_entries);

/* Is an access of size bytes at paddr with privilege priv allowed? */
bool riscv_pmp_check(const RiscvPmp *pmp, uint64_t paddr, unsigned size,
                     RiscvAccess access, RiscvPriv priv);

/*
 * The largest range [*lo, *last] around paddr where every byte is
 * decided by the same rule (same entry, or no entry), and the
 * permissions (RISCV_PROT_*) an access with privilege priv fully
 * inside it gets.
 */
void riscv_pmp_uniform_range(const RiscvPmp *pmp, uint64_t paddr,
                             RiscvPriv priv, uint64_t *lo, uint64_t *last,
                             unsigned *prot);

/* Is the 4 KiB page holding paddr decided uniformly?  If so, *prot is
 * what any access inside that page gets, and a TLB may cache it. */
bool riscv_pmp_page_uniform(const RiscvPmp *pmp, uint64_t paddr,
                            RiscvPriv priv, unsigned *prot);

/* Per-entry register access, with the WARL and lock rules applied. */
void riscv_pmp_write_cfg(RiscvPmp *pmp, unsigned i, uint8_t val);
uint8_t riscv_pmp_read_cfg(const RiscvPmp *pmp, unsigned i);
void riscv_pmp_write_addr(RiscvPmp *pmp, unsigned i, uint64_t val);
uint64_t riscv_pmp_read_addr(const RiscvPmp *pmp, unsigned i);

/*
 * CSR-level access to pmpcfgN (N = 0..15): on RV64 only even N exist and
 * each holds 8 entries; on RV32 each holds 4.  Returns false for a CSR
 * that does not exist for xlen (the caller raises illegal instruction).
 */
bool riscv_pmp_write_pmpcfg(RiscvPmp *pmp, unsigned n, uint64_t val,
                            unsigned xlen);
bool riscv_pmp_read_pmpcfg(const RiscvPmp *pmp, unsigned n, uint64_t *val,
                           unsigned xlen);

#endif
