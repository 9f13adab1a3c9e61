/* Zicboz/Zicbom/Zicbop: cbo.zero clears exactly the 64-byte block that
 * holds the address; the envcfg enables (menvcfg for S, menvcfg and
 * senvcfg for U; CBIE 01/11 enable inval) make cbo.* illegal below M
 * when clear, with the instruction bits in mtval; PMP permissions apply
 * (zero needs W, clean/flush need R or W); prefetches never trap. */
#include "rvt.h"
RVT_PROLOGUE
#define CBIE_FLUSH  (1 << 4)
#define CBIE_INVAL  (3 << 4)
#define CBCFE       (1 << 6)
#define CBZE        (1 << 7)

/* run insn at label lbl; expect illegal with its bits in mtval */
#define EXPECT_ILLEGAL(n, lbl, insn)        \
lbl: insn;                                  \
    GOTO_M;                                 \
    CHECK_TRAP(n, mtrap_rec, CAUSE_ILLEGAL); \
    la t0, lbl;                             \
    lhu s3, 0(t0);                          \
    lhu t1, 2(t0);                          \
    slli t1, t1, 16;                        \
    or s3, s3, t1;                          \
    andi t1, s3, 3;                         \
    li t0, 3;                               \
    beq t1, t0, 4f;                         \
    slli s3, s3, 48;                        \
    srli s3, s3, 48;                        \
4:                                          \
    CHECK_REC_REG(n, mtrap_rec, REC_TVAL, s3)

#define EXPECT_OK(n, insn)                  \
    insn;                                   \
    GOTO_M;                                 \
    CHECK_NO_TRAP(n, mtrap_rec)

main:
    /* fill two blocks with ones, zero the second through an address
     * in its middle */
    la s0, blocks
    li a1, -1
    li a2, 16
    mv a3, s0
1:  sd a1, 0(a3)
    addi a3, a3, 8
    addi a2, a2, -1
    bnez a2, 1b
    addi a0, s0, 64 + 17
    cbo.zero (a0)
    li a2, 0
    mv a3, s0
2:  ld a1, 0(a3)
    CHECK(1, a1, -1)
    addi a3, a3, 8
    addi a2, a2, 1
    li a4, 8
    bltu a2, a4, 2b
3:  ld a1, 0(a3)
    CHECK(2, a1, 0)
    addi a3, a3, 8
    addi a2, a2, 1
    li a4, 16
    bltu a2, a4, 3b

    /* M-mode ignores the enables */
    csrw menvcfg, zero
    cbo.clean (s0)
    cbo.flush (s0)
    cbo.inval (s0)
    cbo.zero (s0)
    CHECK_NO_TRAP(3, mtrap_rec)

    /* S-mode with everything disabled */
    mv a0, s0
    GOTO_S
    EXPECT_ILLEGAL(10, s_zero, cbo.zero (a0))
    GOTO_S
    EXPECT_ILLEGAL(11, s_clean, cbo.clean (a0))
    GOTO_S
    EXPECT_ILLEGAL(12, s_flush, cbo.flush (a0))
    GOTO_S
    EXPECT_ILLEGAL(13, s_inval, cbo.inval (a0))
    /* ... and enabled */
    li t0, CBZE | CBCFE | CBIE_FLUSH
    csrw menvcfg, t0
    li a1, -1
    sd a1, 0(s0)
    GOTO_S
    EXPECT_OK(14, cbo.zero (a0))
    ld a1, 0(s0)
    CHECK(15, a1, 0)
    GOTO_S
    EXPECT_OK(16, cbo.clean (a0); cbo.flush (a0); cbo.inval (a0))
    li t0, CBIE_INVAL
    csrs menvcfg, t0
    GOTO_S
    EXPECT_OK(17, cbo.inval (a0))
    /* CBIE 10 is reserved: the field keeps its value */
    csrr a1, menvcfg
    andi a1, a1, ~CBIE_INVAL
    ori a1, a1, 2 << 4
    csrw menvcfg, a1
    csrr a2, menvcfg
    andi a2, a2, CBIE_INVAL
    CHECK(18, a2, CBIE_INVAL)

    /* U-mode needs senvcfg too */
    csrw senvcfg, zero
    GOTO_U
    EXPECT_ILLEGAL(20, u_zero, cbo.zero (a0))
    GOTO_U
    EXPECT_ILLEGAL(21, u_clean, cbo.clean (a0))
    GOTO_U
    EXPECT_ILLEGAL(22, u_inval, cbo.inval (a0))
    li t0, CBZE | CBCFE | CBIE_INVAL
    csrw senvcfg, t0
    GOTO_U
    EXPECT_OK(23, cbo.zero (a0); cbo.clean (a0); cbo.flush (a0); cbo.inval (a0))
    /* senvcfg alone is not enough */
    csrw menvcfg, zero
    GOTO_U
    EXPECT_ILLEGAL(24, u_zero2, cbo.zero (a0))

    /* PMP: entry 0 makes the 4 KiB page at `page` read-only for S/U */
    li t0, CBZE | CBCFE | CBIE_INVAL
    csrw menvcfg, t0
    la a0, page
    li a1, 0xaa
    sd a1, 0(a0)
    srli t0, a0, 2
    ori t0, t0, (4096 / 8 - 1) >> 1     /* NAPOT, 4 KiB */
    csrw pmpaddr0, t0
    li t0, 0x19                         /* NAPOT | R */
    csrw pmpcfg0, t0
    GOTO_U
    cbo.zero (a0)
    GOTO_M
    CHECK_TRAP(30, mtrap_rec, CAUSE_STORE_ACCESS)
    ld a1, 0(a0)
    CHECK(31, a1, 0xaa)
    GOTO_U
    EXPECT_OK(32, cbo.clean (a0); cbo.flush (a0))
    li t0, 0x18                         /* NAPOT, no access */
    csrw pmpcfg0, t0
    GOTO_S
    cbo.flush (a0)
    GOTO_M
    CHECK_TRAP(33, mtrap_rec, CAUSE_STORE_ACCESS)
    /* prefetches are hints: no trap even without access */
    GOTO_U
    EXPECT_OK(34, prefetch.r 0(a0); prefetch.w 64(a0); prefetch.i 0(a0))
    li a0, 0x100                        /* nothing there */
    GOTO_S
    EXPECT_OK(35, prefetch.w 0(a0))
    csrw pmpcfg0, zero
    PASS

    .data
    .align 6
blocks: .space 128
    .align 12
page:   .space 4096
