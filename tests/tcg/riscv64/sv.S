/* Page-based virtual memory (priv spec 1.12 chapter 4), built three
 * times: -DLEVELS=3 (Sv39, satp MODE 8), 4 (Sv48, 9) and 5 (Sv57, 10).
 *
 * Checked from S and U (and M with MPRV): 4 KiB pages and every
 * superpage size of the mode, misaligned superpages, non-canonical
 * addresses (both halves), reserved PTE encodings (V=0, W without R,
 * bits 60-54, PBMT and N without Svpbmt/Svnapot, a pointer at level 0,
 * A/D/U in a pointer), R/W/X, U with and without SUM, S never executing
 * U pages, MXR, MPRV with MPP; A/D as Svadu advertises them (ADUE=0:
 * fault, ADUE=1: the walk sets them in memory, never on a failed
 * access); sfence.vma by address (also one address inside a superpage
 * cached as several 4 KiB pieces), by ASID, global, with G entries;
 * two ASIDs mapping one address differently; satp writes of reserved
 * modes ignored as a whole (WARL) and Bare untranslated.  Also: a U page
 * fault delegated to S, AMO/LR permissions, an instruction split over
 * two pages mapped apart (and its fetch fault: tval = the second page),
 * PMP and missing memory on the walk's own reads (access faults).
 *
 * -DQEMU72 leaves out what Debian's QEMU 7.2 gets wrong or lacks, for
 * cross-checking there (docs/riscv-vm-tests.md).
 *
 * Layout (k = level, 0 = 4 KiB leaves; the root is level LEVELS-1).
 * Chain A at tables_a: root[1] -> tbl(L-2)[0] -> ... -> tbl(0), so
 * VA_4K = 1 << SHIFT(L-1) is the first page of tbl(0).  Everything is
 * identity-mapped (RWX, not U) by a root leaf: root[2] (1 GiB at
 * 0x80000000) for Sv39, root[0] (512 GiB / 256 TiB at 0) otherwise.
 * Chain B (tables_b) differs only in tbl(0)[0] (page_b): the second
 * address space.  Every trap goes to M (medeleg = 0), which records it
 * and skips the instruction; faults at non-identity pcs use recovery
 * labels.  Failure numbers are unique; one number covers a case's
 * cause and tval. */
#include "rvt.h"

#ifndef LEVELS
#define LEVELS 3
#endif
#define MODE            (LEVELS + 5)
#define SATP(asid)      ((MODE << 60) | ((asid) << 44))
#define SHIFT(k)        (12 + 9 * (k))
#define ROOT            (LEVELS - 1)
#define VA_4K           (1 << SHIFT(ROOT))
#define VA_PAGE(i)      (VA_4K + (i) * 4096)
/* a leaf in tbl(k), 0 < k < ROOT, and in the root */
#define SVA_MID(k, j)   (VA_4K + ((j) << SHIFT(k)))
#define SVA_ROOT(j)     ((j) << SHIFT(ROOT))
#define RAM_BASE        0x80000000
/* where a level-k superpage covering RAM starts */
#define BASE1           RAM_BASE
#define BASE2           RAM_BASE
#define BASE3           0
#define BASE4           0
#if LEVELS == 3
#define BASE_ROOT       BASE2
#define ID_INDEX        2
#elif LEVELS == 4
#define BASE_ROOT       BASE3
#define ID_INDEX        0
#else
#define BASE_ROOT       BASE4
#define ID_INDEX        0
#endif

#define PTE_V   0x01
#define PTE_R   0x02
#define PTE_W   0x04
#define PTE_X   0x08
#define PTE_U   0x10
#define PTE_G   0x20
#define PTE_A   0x40
#define PTE_D   0x80
#define RWXAD   (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
#define RWAD    (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define MENVCFG_ADUE (1 << 61)

#define MAGIC_A 0x1111222233334444
#define MAGIC_B 0x5555666677778888
#define XPAGE_WORD 0x05a00513   /* li a0, 0x5a */

/* tbl(k)[j] of the tables at tbase (a register) = pa (a register) | flags */
#define SET_PTE(tbase, k, j, pa, flags)     \
    srli t0, pa, 12;                        \
    slli t0, t0, 10;                        \
    li t1, flags;                           \
    or t0, t0, t1;                          \
    li t1, (k) * 4096 + (j) * 8;            \
    add t1, t1, tbase;                      \
    sd t0, 0(t1)

/* reg = address of tbl(k)[j] of chain sym */
#define PTE_ADDR(reg, sym, k, j)            \
    la reg, sym;                            \
    li t0, (k) * 4096 + (j) * 8;            \
    add reg, reg, t0

/* reg = the virtual address of page_a (or another symbol) through a
 * superpage mapping va_base -> pa_base */
#define VA_OF(reg, sym, va_base, pa_base)   \
    la reg, sym;                            \
    li t0, (va_base) - (pa_base);           \
    add reg, reg, t0

/* a1 = *addr, no trap, a1 == want */
#define LOAD_OK(n, addr, want)              \
    ld a1, 0(addr);                         \
    CHECK_NO_TRAP(n, mtrap_rec);            \
    CHECK_EQ(n, a1, want)

/* The instruction faults with cause, tval = addr */
#define LOAD_FAULT(n, addr, cause)          \
    ld a1, 0(addr);                         \
    CHECK_TRAP(n, mtrap_rec, cause);        \
    CHECK_REC_REG(n, mtrap_rec, REC_TVAL, addr)
#define STORE_FAULT(n, addr, cause)         \
    sd a2, 0(addr);                         \
    CHECK_TRAP(n, mtrap_rec, cause);        \
    CHECK_REC_REG(n, mtrap_rec, REC_TVAL, addr)

/* From M: run the U code at va (a register); it traps (a fault or its
 * ecall), which returns here in M.  Checks that trap's cause. */
#define U_RUN(n, va, cause)                 \
    EXPECT_TRAP(mtrap_rec, 8f);             \
    li a7, 0;                               \
    li t5, MSTATUS_MPP;                     \
    csrc mstatus, t5;                       \
    csrw mepc, va;                          \
    mret;                                   \
8:  CHECK_TRAP(n, mtrap_rec, cause)

/* From S: jump to va; a fetch fault there recovers to M. */
#define S_FETCH_CAUSE(n, va, cause)         \
    EXPECT_TRAP(mtrap_rec, 8f);             \
    jalr va;                                \
    FAIL(n);                                \
8:  CHECK_TRAP(n, mtrap_rec, cause);        \
    CHECK_REC_REG(n, mtrap_rec, REC_TVAL, va); \
    CHECK_REC(n, mtrap_rec, REC_PRIV, 1)
#define S_FETCH_FAULT(n, va) S_FETCH_CAUSE(n, va, CAUSE_FETCH_PAGE)

/* From M: loads and stores as mpp (MPRV); t0 then clears both. */
#define MPRV_AS(mpp)                        \
    li t0, MSTATUS_MPP;                     \
    csrc mstatus, t0;                       \
    li t0, ((mpp) << 11) | MSTATUS_MPRV;    \
    csrs mstatus, t0

RVT_PROLOGUE
    .size tohost, 8             /* QEMU's HTIF wants the sizes */
    .size fromhost, 8
    .option norvc
main:
    li s10, MAGIC_A
    li s11, MAGIC_B
    la t0, page_a
    sd s10, 0(t0)
    la t0, page_b
    sd s11, 0(t0)
    la a0, tables_a
    call build_chain
    la a0, tables_b
    call build_chain
    la a0, tables_b
    la a1, page_b
    SET_PTE(a0, 0, 0, a1, RWAD)
    /* supported mode: accepted as written */
    la t0, tables_a + ROOT * 4096
    srli t0, t0, 12
    li t1, SATP(1)
    or s9, t0, t1               /* s9 = satp of A, ASID 1 */
    csrw satp, s9
    csrr a1, satp
    CHECK_EQ(1, a1, s9)
    sfence.vma

    /* ---- 4 KiB page and superpages, from S */
    GOTO_S
    li s1, VA_PAGE(0)
    LOAD_OK(2, s1, s10)
    li a2, 0x77
    sd a2, 8(s1)
    la t1, page_a
    ld a1, 8(t1)
    CHECK(3, a1, 0x77)
    VA_OF(s1, page_a, SVA_MID(1, 1), BASE1)         /* 2 MiB */
    LOAD_OK(4, s1, s10)
    li a2, 0x78
    sd a2, 8(s1)
    la t1, page_a
    ld a1, 8(t1)
    CHECK(5, a1, 0x78)
    VA_OF(s1, page_a, SVA_MID(1, 2), BASE1)         /* misaligned */
    LOAD_FAULT(6, s1, CAUSE_LOAD_PAGE)
    STORE_FAULT(7, s1, CAUSE_STORE_PAGE)
#if LEVELS >= 4
    VA_OF(s1, page_a, SVA_MID(2, 1), BASE2)         /* 1 GiB */
    LOAD_OK(8, s1, s10)
    VA_OF(s1, page_a, SVA_MID(2, 2), BASE2)
    LOAD_FAULT(9, s1, CAUSE_LOAD_PAGE)
#endif
#if LEVELS >= 5
    VA_OF(s1, page_a, SVA_MID(3, 1), BASE3)         /* 512 GiB */
    LOAD_OK(10, s1, s10)
    VA_OF(s1, page_a, SVA_MID(3, 2), BASE3)
    LOAD_FAULT(11, s1, CAUSE_LOAD_PAGE)
#endif
    /* root leaf: 1 GiB / 512 GiB / 256 TiB */
    VA_OF(s1, page_a, SVA_ROOT(3), BASE_ROOT)
    LOAD_OK(12, s1, s10)
    VA_OF(s1, page_a, SVA_ROOT(4), BASE_ROOT)       /* misaligned */
    LOAD_FAULT(13, s1, CAUSE_LOAD_PAGE)
    /* the upper half: root[511] holds the same leaf */
    VA_OF(s1, page_a, -(1 << SHIFT(ROOT)), BASE_ROOT)
    LOAD_OK(14, s1, s10)
    /* non-canonical: bit VA-1 set alone (root[256] is a valid leaf, so
     * only the canonical check can fault), and bit 63 set alone */
    VA_OF(s1, page_a, SVA_ROOT(256), BASE_ROOT)
    LOAD_FAULT(15, s1, CAUSE_LOAD_PAGE)
    STORE_FAULT(16, s1, CAUSE_STORE_PAGE)
    VA_OF(s1, page_a, SVA_ROOT(3), BASE_ROOT)
    li t0, 1
    slli t0, t0, 63
    or s1, s1, t0
    LOAD_FAULT(17, s1, CAUSE_LOAD_PAGE)
    S_FETCH_FAULT(18, s1)
    GOTO_S

    /* ---- invalid and reserved encodings */
    li s1, VA_PAGE(7)           /* V = 0 (other bits set) */
    LOAD_FAULT(20, s1, CAUSE_LOAD_PAGE)
    li s1, VA_PAGE(8)           /* W without R */
    LOAD_FAULT(21, s1, CAUSE_LOAD_PAGE)
    STORE_FAULT(22, s1, CAUSE_STORE_PAGE)
    li s1, VA_PAGE(9)           /* bit 54 */
    LOAD_FAULT(23, s1, CAUSE_LOAD_PAGE)
    li s1, VA_PAGE(10)          /* bit 60 */
    LOAD_FAULT(24, s1, CAUSE_LOAD_PAGE)
    li s1, VA_PAGE(11)          /* N, no Svnapot */
    LOAD_FAULT(25, s1, CAUSE_LOAD_PAGE)
    li s1, VA_PAGE(12)          /* PBMT = NC, no Svpbmt */
    LOAD_FAULT(26, s1, CAUSE_LOAD_PAGE)
    li s1, VA_PAGE(13)          /* a pointer at level 0 */
    LOAD_FAULT(27, s1, CAUSE_LOAD_PAGE)
    li s1, SVA_MID(1, 3)        /* pointer with U */
    LOAD_FAULT(28, s1, CAUSE_LOAD_PAGE)
    li s1, SVA_MID(1, 4)        /* pointer with A and D */
    LOAD_FAULT(29, s1, CAUSE_LOAD_PAGE)
    li s1, SVA_MID(1, 7)        /* pointer that is fine: the control */
    LOAD_OK(30, s1, s10)

    /* ---- permissions from S */
    li s1, VA_PAGE(1)           /* read-only */
    LOAD_OK(40, s1, s10)
    STORE_FAULT(41, s1, CAUSE_STORE_PAGE)
    li s1, VA_PAGE(2)           /* execute-only */
    LOAD_FAULT(42, s1, CAUSE_LOAD_PAGE)
    li a0, 0
    jalr s1                     /* runs "li a0, 0x5a; ret" */
    CHECK_NO_TRAP(43, mtrap_rec)
    CHECK(43, a0, 0x5a)
    li t0, MSTATUS_MXR
    csrs sstatus, t0
    lw a1, 0(s1)
    CHECK_NO_TRAP(44, mtrap_rec)
    CHECK(44, a1, XPAGE_WORD)
    STORE_FAULT(45, s1, CAUSE_STORE_PAGE)
    li t0, MSTATUS_MXR
    csrc sstatus, t0
    li s1, VA_PAGE(3)           /* U page, SUM = 0 */
    LOAD_FAULT(46, s1, CAUSE_LOAD_PAGE)
    STORE_FAULT(47, s1, CAUSE_STORE_PAGE)
    li t0, MSTATUS_SUM
    csrs sstatus, t0
    LOAD_OK(48, s1, s10)
    sd s10, 0(s1)
    CHECK_NO_TRAP(49, mtrap_rec)
    li s1, VA_PAGE(4)           /* U code: S reads it with SUM ... */
    ld a1, 0(s1)
    CHECK_NO_TRAP(50, mtrap_rec)
#ifndef QEMU72                  /* QEMU 7.2 lets S run U pages with SUM */
    S_FETCH_FAULT(51, s1)       /* ... but never executes it */
#else
    GOTO_M
#endif
    li t0, MSTATUS_SUM
    csrc mstatus, t0
    GOTO_S
    li s1, VA_PAGE(1)           /* R only: no fetch */
    S_FETCH_FAULT(52, s1)

    /* ---- permissions from U (through the probes in upage) */
    li s2, VA_PAGE(4)           /* u_load */
    li s3, VA_PAGE(4) + 8       /* u_store */
    li a0, VA_PAGE(3)
    li a1, 0
    U_RUN(53, s2, CAUSE_ECALL_U)
    CHECK_EQ(53, a1, s10)
    li a2, 0x55
    U_RUN(54, s3, CAUSE_ECALL_U)
    la t1, page_a
    ld a1, 0(t1)
    CHECK(54, a1, 0x55)
    sd s10, 0(t1)
    li a0, VA_PAGE(0)           /* not U */
    U_RUN(55, s2, CAUSE_LOAD_PAGE)
    CHECK_REC_REG(55, mtrap_rec, REC_TVAL, a0)
    U_RUN(56, s3, CAUSE_STORE_PAGE)
    CHECK_REC_REG(56, mtrap_rec, REC_TVAL, a0)
    li t0, MSTATUS_SUM          /* SUM does not matter to U */
    csrs mstatus, t0
    U_RUN(57, s2, CAUSE_LOAD_PAGE)
    li t0, MSTATUS_SUM
    csrc mstatus, t0
    li a0, VA_PAGE(14)          /* U execute-only: MXR opens loads */
    U_RUN(58, s2, CAUSE_LOAD_PAGE)
    li t0, MSTATUS_MXR
    csrs mstatus, t0
    U_RUN(59, s2, CAUSE_ECALL_U)
    la t1, upage                /* its first two instructions */
    ld t0, 0(t1)
    CHECK_EQ(59, a1, t0)
    li t0, MSTATUS_MXR
    csrc mstatus, t0
    li s1, VA_PAGE(2)           /* fetch from a non-U page */
    U_RUN(60, s1, CAUSE_FETCH_PAGE)
    CHECK_REC_REG(60, mtrap_rec, REC_TVAL, s1)
    li s1, VA_PAGE(14)          /* execute-only U page runs */
    li a0, VA_PAGE(3)
    li a1, 0
    U_RUN(61, s1, CAUSE_ECALL_U)
    CHECK_EQ(61, a1, s10)

    /* ---- a U page fault delegated to S: scause, stval, sepc, SPP */
    li t0, (1 << CAUSE_LOAD_PAGE) | (1 << CAUSE_STORE_PAGE)
    csrw medeleg, t0
    li a0, VA_PAGE(0)
    EXPECT_TRAP(strap_rec, 9f)
    li t5, MSTATUS_MPP
    csrc mstatus, t5
    csrw mepc, s2
    mret
9:  GOTO_M                      /* recovered in S */
    csrw medeleg, zero
    CHECK_NO_TRAP(62, mtrap_rec)
    CHECK_TRAP(62, strap_rec, CAUSE_LOAD_PAGE)
    CHECK_REC_REG(62, strap_rec, REC_TVAL, a0)
    CHECK_REC_REG(62, strap_rec, REC_EPC, s2)
    CHECK_REC(62, strap_rec, REC_PRIV, 0)

    /* ---- from S: SUM and MXR together, AMOs, an instruction across
     * two pages, PMP on the walk's own reads */
    GOTO_S
    li s1, VA_PAGE(14)          /* U execute-only */
    li t0, MSTATUS_SUM
    csrs sstatus, t0
    LOAD_FAULT(90, s1, CAUSE_LOAD_PAGE)
    li t0, MSTATUS_MXR
    csrs sstatus, t0
    ld a1, 0(s1)
    CHECK_NO_TRAP(91, mtrap_rec)
    li t0, MSTATUS_SUM | MSTATUS_MXR
    csrc sstatus, t0
    li s1, VA_PAGE(1)           /* AMOs need W: store/AMO fault */
    li a2, 1
    amoadd.d a1, a2, (s1)
    CHECK_TRAP(92, mtrap_rec, CAUSE_STORE_PAGE)
    CHECK_REC_REG(92, mtrap_rec, REC_TVAL, s1)
    li s1, VA_PAGE(2)           /* LR needs R */
    lr.d a1, (s1)
    CHECK_TRAP(93, mtrap_rec, CAUSE_LOAD_PAGE)
    li s1, VA_PAGE(0)
    amoswap.d a1, s11, (s1)
    amoswap.d a2, s10, (s1)
    CHECK_NO_TRAP(94, mtrap_rec)
    CHECK_EQ(94, a1, s10)
    CHECK_EQ(94, a2, s11)
    /* addi a0, zero, 0x5b split over VA_PAGE(20) -> xpage2 and
     * VA_PAGE(21) -> xpage3, which sits before xpage2 in memory */
    li s1, VA_PAGE(20) + 4094
    li a0, 0
    jalr s1
    CHECK_NO_TRAP(95, mtrap_rec)
    CHECK(95, a0, 0x5b)
    /* its second page remapped (xpage4: 0x5c): the cached block, keyed
     * by the first page, must not be reused */
    PTE_ADDR(s2, tables_a, 0, 21)
    la t2, xpage4
    SET_PTE(s2, 0, 0, t2, PTE_V | PTE_X | PTE_A)
    li t2, VA_PAGE(21)
    sfence.vma t2, zero
    li a0, 0
    jalr s1
    CHECK_NO_TRAP(134, mtrap_rec)
    CHECK(134, a0, 0x5c)
    /* the same with the second page unmapped: epc = the instruction,
     * tval = the page that faulted */
    li s1, VA_PAGE(22) + 4094
    li s2, VA_PAGE(23)
    EXPECT_TRAP(mtrap_rec, 9f)
    jalr s1
    FAIL(96)
9:  CHECK_TRAP(96, mtrap_rec, CAUSE_FETCH_PAGE)
    CHECK_REC_REG(96, mtrap_rec, REC_EPC, s1)
    CHECK_REC_REG(96, mtrap_rec, REC_TVAL, s2)
    /* PMP entry 0 denies S the page of tbl(0): the walk's read of it
     * is an access fault of the original type (entry 15 allows all) */
    la t0, tables_a
    srli t0, t0, 2
    ori t0, t0, 0x1ff           /* NAPOT 4 KiB */
    csrw pmpaddr0, t0
    li t0, 0x18                 /* NAPOT, no permission */
    csrw pmpcfg0, t0
    GOTO_S
    sfence.vma
    li s1, VA_PAGE(0)
    LOAD_FAULT(130, s1, CAUSE_LOAD_ACCESS)
    STORE_FAULT(131, s1, CAUSE_STORE_ACCESS)
    li s1, VA_PAGE(2)
    S_FETCH_CAUSE(132, s1, CAUSE_FETCH_ACCESS)
    csrw pmpcfg0, zero
    sfence.vma
    /* satp pointing where there is no memory: the first read of the
     * walk is an access fault (as S through MPRV) */
    li t0, SATP(1) | (0x40000000 >> 12)
    csrw satp, t0
    li s1, VA_PAGE(0)
    MPRV_AS(1)
#ifndef QEMU72                  /* QEMU 7.2: a page fault */
    LOAD_FAULT(133, s1, CAUSE_LOAD_ACCESS)
#else
    ld a1, 0(s1)
    TRAP_RESET(mtrap_rec)
#endif
    csrw satp, s9
    sfence.vma

    /* ---- MPRV: M loads and stores as MPP (fetches stay M) */
    li s1, VA_PAGE(0)
    MPRV_AS(1)
    ld a1, 0(s1)
    csrc mstatus, t0
    CHECK_NO_TRAP(140, mtrap_rec)
    CHECK_EQ(140, a1, s10)
    MPRV_AS(0)                  /* as U: not a U page */
    LOAD_FAULT(141, s1, CAUSE_LOAD_PAGE)
    li s1, VA_PAGE(3)
    MPRV_AS(0)
    ld a1, 0(s1)
    csrc mstatus, t0
    CHECK_NO_TRAP(142, mtrap_rec)
    CHECK_EQ(142, a1, s10)
    MPRV_AS(1)                  /* as S without SUM */
    LOAD_FAULT(143, s1, CAUSE_LOAD_PAGE)
    li t0, MSTATUS_SUM
    csrs mstatus, t0
    MPRV_AS(1)
    ld a1, 0(s1)
    li t0, MSTATUS_MPRV | MSTATUS_SUM
    csrc mstatus, t0
    CHECK_NO_TRAP(144, mtrap_rec)
    li s1, VA_PAGE(1)
    MPRV_AS(1)
    STORE_FAULT(145, s1, CAUSE_STORE_PAGE)
    li s1, VA_PAGE(2)           /* MXR applies with MPRV */
    MPRV_AS(1)
    LOAD_FAULT(146, s1, CAUSE_LOAD_PAGE)
    li t0, MSTATUS_MXR
    csrs mstatus, t0
    MPRV_AS(1)
    lw a1, 0(s1)
    li t0, MSTATUS_MPRV | MSTATUS_MXR
    csrc mstatus, t0
    CHECK_NO_TRAP(147, mtrap_rec)
    CHECK(147, a1, XPAGE_WORD)
    li s1, VA_PAGE(0)           /* MPP = M: untranslated, nothing there */
    MPRV_AS(3)
    LOAD_FAULT(148, s1, CAUSE_LOAD_ACCESS)
    li t0, MSTATUS_MPP
    csrc mstatus, t0

    /* ---- A/D, Svadu: ADUE resets to 0, and then A/D clear faults */
    csrr a1, menvcfg
    li t0, MENVCFG_ADUE
    and a1, a1, t0
    CHECK(71, a1, 0)
#ifndef QEMU72                  /* QEMU 7.2 always updates A/D */
    GOTO_S
    li s1, VA_PAGE(5)           /* A = 0 */
    LOAD_FAULT(72, s1, CAUSE_LOAD_PAGE)
    STORE_FAULT(73, s1, CAUSE_STORE_PAGE)
    li s1, VA_PAGE(6)           /* A = 1, D = 0 */
    LOAD_OK(74, s1, s11)
    STORE_FAULT(75, s1, CAUSE_STORE_PAGE)
    li s1, VA_PAGE(19)          /* X, A = 0 */
    S_FETCH_FAULT(76, s1)
    PTE_ADDR(s1, tables_a, 0, 5)    /* nothing written back */
    ld a1, 0(s1)
    andi a1, a1, PTE_A | PTE_D
    CHECK(77, a1, 0)
    ld a1, 8(s1)
    andi a1, a1, PTE_A | PTE_D
    CHECK(77, a1, PTE_A)
#endif
    /* ADUE = 1: the walk sets A on any access, D on stores */
    li t0, MENVCFG_ADUE
    csrs menvcfg, t0
#ifndef QEMU72                  /* no ADUE bit there */
    csrr a1, menvcfg
    and a1, a1, t0
    CHECK_EQ(78, a1, t0)
#endif
    GOTO_S
    PTE_ADDR(s2, tables_a, 0, 5)
    li s1, VA_PAGE(5)
    LOAD_OK(79, s1, s11)
    ld a1, 0(s2)
    andi a1, a1, PTE_A | PTE_D
    CHECK(79, a1, PTE_A)
    li a2, 0x66
    sd a2, 8(s1)                /* after a load cached the page */
    CHECK_NO_TRAP(80, mtrap_rec)
    ld a1, 0(s2)
    andi a1, a1, PTE_A | PTE_D
    CHECK(80, a1, PTE_A | PTE_D)
    la t1, page_b
    ld a1, 8(t1)
    CHECK(80, a1, 0x66)
    li s1, VA_PAGE(6)
    sd a2, 16(s1)
    CHECK_NO_TRAP(81, mtrap_rec)
    ld a1, 8(s2)
    andi a1, a1, PTE_A | PTE_D
    CHECK(81, a1, PTE_A | PTE_D)
    li s1, VA_PAGE(15)          /* R, A = 0: a store faults, sets nothing */
    STORE_FAULT(82, s1, CAUSE_STORE_PAGE)
    PTE_ADDR(s2, tables_a, 0, 15)
    ld a1, 0(s2)
    andi a1, a1, PTE_A | PTE_D
    CHECK(82, a1, 0)
    li s1, VA_PAGE(19)          /* a fetch sets A */
    li a0, 0
    jalr s1
    CHECK_NO_TRAP(83, mtrap_rec)
    CHECK(83, a0, 0x5a)
    PTE_ADDR(s2, tables_a, 0, 19)
    ld a1, 0(s2)
    andi a1, a1, PTE_A | PTE_D
    CHECK(83, a1, PTE_A)
    VA_OF(s1, page_a, SVA_MID(1, 6), BASE1)     /* superpage, A = D = 0 */
    li a2, 0x67
    sd a2, 8(s1)
    CHECK_NO_TRAP(84, mtrap_rec)
    PTE_ADDR(s2, tables_a, 1, 6)
    ld a1, 0(s2)
    andi a1, a1, PTE_A | PTE_D
    CHECK(84, a1, PTE_A | PTE_D)
    GOTO_M
    li t0, MENVCFG_ADUE
    csrc menvcfg, t0
    CHECK_NO_TRAP(85, mtrap_rec)

    /* ---- sfence.vma */
    GOTO_S
    PTE_ADDR(s2, tables_a, 0, 16)
    la s3, page_a
    la s4, page_b
    li s1, VA_PAGE(16)          /* by address */
    LOAD_OK(100, s1, s10)
    SET_PTE(s2, 0, 0, s4, RWAD)
    sfence.vma s1, zero
    LOAD_OK(101, s1, s11)
    li s1, VA_PAGE(17)          /* by ASID */
    li s5, 1
    LOAD_OK(102, s1, s10)
    SET_PTE(s2, 0, 1, s4, RWAD)
    sfence.vma zero, s5
    LOAD_OK(103, s1, s11)
    SET_PTE(s2, 0, 1, s3, RWAD)
    sfence.vma s1, s5           /* by address and ASID */
    LOAD_OK(104, s1, s10)
    li s1, VA_PAGE(18)          /* a global page, everything flushed */
    LOAD_OK(105, s1, s10)
    SET_PTE(s2, 0, 2, s4, RWAD | PTE_G)
    sfence.vma
    LOAD_OK(106, s1, s11)
    SET_PTE(s2, 0, 2, s3, RWAD | PTE_G)
    sfence.vma s1, zero         /* by address, global included */
    LOAD_OK(107, s1, s10)
    /* by address inside a 2 MiB page that the TLB may hold as several
     * 4 KiB pieces: the fence covers the whole leaf */
    VA_OF(s1, page_a, SVA_MID(1, 5), BASE1)
    VA_OF(s6, page_b, SVA_MID(1, 5), BASE1)
    LOAD_OK(108, s1, s10)
    LOAD_OK(108, s6, s11)
    PTE_ADDR(s2, tables_a, 1, 5)
    sd zero, 0(s2)
    sfence.vma s1, zero
    LOAD_FAULT(109, s6, CAUSE_LOAD_PAGE)
    li t1, BASE1
    SET_PTE(s2, 0, 0, t1, RWAD)
    sfence.vma s6, zero
    LOAD_OK(110, s6, s11)
    /* the same again through a root leaf */
    VA_OF(s1, page_a, SVA_ROOT(3), BASE_ROOT)
    VA_OF(s6, page_b, SVA_ROOT(3), BASE_ROOT)
    LOAD_OK(111, s1, s10)
    LOAD_OK(111, s6, s11)
    PTE_ADDR(s2, tables_a, ROOT, 3)
    ld s7, 0(s2)
    sd zero, 0(s2)
    sfence.vma s1, zero
    LOAD_FAULT(112, s6, CAUSE_LOAD_PAGE)
    sd s7, 0(s2)
    sfence.vma s6, zero
    LOAD_OK(113, s6, s11)

    /* ---- two address spaces: ASID 1 (chain A), ASID 2 (chain B) map
     * VA_PAGE(0) to page_a and page_b; switching satp picks the right
     * one with no fence (each ASID's entries stay correct) */
    la t0, tables_b + ROOT * 4096
    srli t0, t0, 12
    li t1, SATP(2)
    or s8, t0, t1
    li s1, VA_PAGE(0)
    LOAD_OK(114, s1, s10)
    csrw satp, s8
    LOAD_OK(115, s1, s11)
    csrw satp, s9
    LOAD_OK(116, s1, s10)
    csrw satp, s8
    LOAD_OK(117, s1, s11)
    li s1, VA_PAGE(18)          /* global, same in both */
    LOAD_OK(118, s1, s10)
    csrw satp, s9
    LOAD_OK(119, s1, s10)
    GOTO_M

    /* ---- satp WARL: a reserved or unimplemented MODE leaves satp as
     * it was, every field; Bare is untranslated */
    csrw satp, s9
    li s1, 1
    li s2, 16
10: li t0, 8
    bltu s1, t0, 11f
    li t0, 11
    bltu s1, t0, 12f
11: slli t0, s1, 60
    li t1, (0x1234 << 44) | 0x80123
    or t0, t0, t1
    csrw satp, t0
    csrr a1, satp
    CHECK_EQ(120, a1, s9)
12: addi s1, s1, 1
    bltu s1, s2, 10b
    csrw satp, zero
    csrr a1, satp
    CHECK(121, a1, 0)
    GOTO_S
    la s1, page_a
    LOAD_OK(122, s1, s10)
    li s1, VA_PAGE(0)           /* a physical address now: no RAM */
    LOAD_FAULT(123, s1, CAUSE_LOAD_ACCESS)
    GOTO_M
    PASS

/* Fills the chain of tables at a0 (LEVELS pages). */
build_chain:
    mv a5, a0
    li t2, LEVELS * 4096
    add t2, t2, a0
1:  sd zero, 0(a5)
    addi a5, a5, 8
    bltu a5, t2, 1b
    /* pointers: root[1] -> tbl(ROOT-1)[0] -> ... -> tbl(0) */
    li t2, 1
    li a2, ROOT * 4096
    add a2, a2, a0
    li a3, 8                    /* entry 1 in the root, then 0 */
2:  li t1, -4096
    add a4, a2, t1              /* next table */
    srli t0, a4, 12
    slli t0, t0, 10
    ori t0, t0, PTE_V
    add t1, a2, a3
    sd t0, 0(t1)
    mv a2, a4
    li a3, 0
    bne a2, a0, 2b
    /* identity, root leaves, upper half */
#if LEVELS == 3
    li a1, RAM_BASE
#else
    li a1, 0
#endif
    SET_PTE(a0, ROOT, ID_INDEX, a1, RWXAD)
    li a1, BASE_ROOT
    SET_PTE(a0, ROOT, 3, a1, RWAD)
    SET_PTE(a0, ROOT, 511, a1, RWAD)
    SET_PTE(a0, ROOT, 256, a1, RWAD)
    li t2, 4096
    add a1, a1, t2
    SET_PTE(a0, ROOT, 4, a1, RWAD)
    /* superpages in the levels between */
    li a1, BASE1
    SET_PTE(a0, 1, 1, a1, RWAD)
    SET_PTE(a0, 1, 5, a1, RWAD)
    SET_PTE(a0, 1, 6, a1, PTE_V | PTE_R | PTE_W)
    add a1, a1, t2
    SET_PTE(a0, 1, 2, a1, RWAD)
#if LEVELS >= 4
    li a1, BASE2
    SET_PTE(a0, 2, 1, a1, RWAD)
    add a1, a1, t2
    SET_PTE(a0, 2, 2, a1, RWAD)
#endif
#if LEVELS >= 5
    li a1, BASE3
    SET_PTE(a0, 3, 1, a1, RWAD)
    add a1, a1, t2
    SET_PTE(a0, 3, 2, a1, RWAD)
#endif
    /* pointers to tbl(0) with reserved bits, and a fine one; level-0
     * entry 0 of those maps page_a */
    mv a1, a0
    SET_PTE(a0, 1, 3, a1, PTE_V | PTE_U)
    SET_PTE(a0, 1, 4, a1, PTE_V | PTE_A | PTE_D)
    SET_PTE(a0, 1, 7, a1, PTE_V)
    /* 4 KiB pages */
    la a1, page_a
    la a2, page_b
    la a3, xpage
    la a4, upage
    SET_PTE(a0, 0, 0, a1, RWAD)
    SET_PTE(a0, 0, 1, a1, PTE_V | PTE_R | PTE_A)
    SET_PTE(a0, 0, 2, a3, PTE_V | PTE_X | PTE_A)
    SET_PTE(a0, 0, 3, a1, RWAD | PTE_U)
    SET_PTE(a0, 0, 4, a4, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)
    SET_PTE(a0, 0, 5, a2, PTE_V | PTE_R | PTE_W)
    SET_PTE(a0, 0, 6, a2, PTE_V | PTE_R | PTE_W | PTE_A)
    SET_PTE(a0, 0, 7, a1, RWXAD & ~PTE_V)
    SET_PTE(a0, 0, 8, a1, PTE_V | PTE_W | PTE_A | PTE_D)
    SET_PTE(a0, 0, 9, a1, PTE_V | PTE_R | PTE_A | (1 << 54))
    SET_PTE(a0, 0, 10, a1, PTE_V | PTE_R | PTE_A | (1 << 60))
    SET_PTE(a0, 0, 11, a1, PTE_V | PTE_R | PTE_A | (1 << 63))
    SET_PTE(a0, 0, 12, a1, PTE_V | PTE_R | PTE_A | (1 << 61))
    SET_PTE(a0, 0, 13, a0, PTE_V)
    SET_PTE(a0, 0, 14, a4, PTE_V | PTE_X | PTE_U | PTE_A)
    SET_PTE(a0, 0, 15, a1, PTE_V | PTE_R)
    SET_PTE(a0, 0, 16, a1, RWAD)
    SET_PTE(a0, 0, 17, a1, RWAD)
    SET_PTE(a0, 0, 18, a1, RWAD | PTE_G)
    SET_PTE(a0, 0, 19, a3, PTE_V | PTE_X)
    la a3, xpage2
    la a4, xpage3
    SET_PTE(a0, 0, 20, a3, PTE_V | PTE_X | PTE_A)
    SET_PTE(a0, 0, 21, a4, PTE_V | PTE_X | PTE_A)
    SET_PTE(a0, 0, 22, a3, PTE_V | PTE_X | PTE_A)
    ret

    /* S code reached only through VA_PAGE(2) / VA_PAGE(19) */
    .align 12
xpage:
    li a0, 0x5a
    ret
    /* an instruction across pages: its high half first, then the page
     * ending with its low half */
    .align 12
xpage3:
    .half 0x05b0                /* addi a0, zero, 0x5b: bits 31-16 */
    ret
    .align 12
xpage4:
    .half 0x05c0                /* addi a0, zero, 0x5c: bits 31-16 */
    ret
    .align 12
xpage2:
    .space 4094
    .half 0x0513                /* bits 15-0 */
    /* U probes at VA_PAGE(4) / VA_PAGE(14): one access, then ecall */
    .align 12
upage:
    ld a1, 0(a0)
    ecall
    sd a2, 0(a0)
    ecall
    .align 12

    .bss
    .align 12
page_a: .space 4096
page_b: .space 4096
tables_a: .space LEVELS * 4096
tables_b: .space LEVELS * 4096
