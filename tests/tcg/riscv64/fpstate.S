/* FP state rules: mstatus.FS = Off makes every FP instruction and FP
 * CSR illegal (M, S and U); writing FP state sets FS = Dirty and SD
 * (also seen through sstatus); fcsr = frm << 5 | fflags; reserved
 * rounding modes (static 5/6, or dynamic with frm >= 5) are illegal
 * with the instruction bits in mtval. */
#include "rvt.h"
RVT_PROLOGUE
#define FS_INITIAL  (1 << 13)
#define FS_CLEAN    (2 << 13)
#define FS_DIRTY    (3 << 13)
#define SD          (1 << 63)

/* insn at lbl must trap as illegal, reporting its bits */
#define ILLEGAL_AT(n, lbl, insn...)         \
lbl: insn;                                  \
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

main:
    /* FS is Off at reset */
    csrr a1, mstatus
    li t0, MSTATUS_FS
    and a1, a1, t0
    CHECK(1, a1, 0)
    ILLEGAL_AT(2, i_fadd, fadd.d fa0, fa1, fa2)
    ILLEGAL_AT(3, i_fld, fld fa0, 0(sp))
    ILLEGAL_AT(4, i_fsd, fsd fa0, 0(sp))
    ILLEGAL_AT(5, i_fmv, fmv.x.d a0, fa0)
    ILLEGAL_AT(6, i_fflags, csrr a0, fflags)
    ILLEGAL_AT(7, i_fcsr, csrw fcsr, zero)
    ILLEGAL_AT(8, i_frm, csrr a0, frm)
    ILLEGAL_AT(9, i_cfld, c.fld fa0, 0(s0))
    /* ... from S and U as well */
    GOTO_S
    fadd.s fa0, fa1, fa2
    GOTO_M
    CHECK_TRAP(10, mtrap_rec, CAUSE_ILLEGAL)
    CHECK_REC(11, mtrap_rec, REC_PRIV, 1)
    GOTO_U
    fmv.w.x fa0, zero
    GOTO_M
    CHECK_TRAP(12, mtrap_rec, CAUSE_ILLEGAL)

    /* Initial -> Dirty on an FP write, SD follows */
    li t0, FS_INITIAL
    csrs mstatus, t0
    csrr a1, mstatus
    bltz a1, sd_wrong
    fmv.d.x fa0, zero
    csrr a1, mstatus
    li t0, MSTATUS_FS
    and a2, a1, t0
    CHECK(20, a2, FS_DIRTY)
    bgez a1, sd_wrong
    csrr a1, sstatus
    bgez a1, sd_wrong
    /* Clean -> Dirty by an arithmetic op (flags) */
    li t0, MSTATUS_FS
    csrc mstatus, t0
    li t0, FS_CLEAN
    csrs mstatus, t0
    csrr a1, mstatus
    bltz a1, sd_wrong
    fadd.d fa0, fa0, fa0
    csrr a1, mstatus
    li t0, MSTATUS_FS
    and a2, a1, t0
    CHECK(21, a2, FS_DIRTY)
    /* Clean -> Dirty by an FP CSR write, from S through sstatus */
    li t0, MSTATUS_FS
    csrc mstatus, t0
    li t0, FS_CLEAN
    csrs mstatus, t0
    GOTO_S
    csrwi fflags, 1
    csrr a1, sstatus
    GOTO_M
    li t0, MSTATUS_FS
    and a2, a1, t0
    CHECK(22, a2, FS_DIRTY)
    bgez a1, sd_wrong
    CHECK_NO_TRAP(23, mtrap_rec)

    /* fcsr layout */
    li a1, 0x1ff
    csrw fcsr, a1
    csrr a2, fcsr
    CHECK(30, a2, 0xff)
    csrr a2, frm
    CHECK(31, a2, 7)
    csrr a2, fflags
    CHECK(32, a2, 0x1f)
    csrwi frm, 2
    csrr a2, fcsr
    CHECK(33, a2, 0x5f)
    csrrci a2, fflags, 0x11
    CHECK(34, a2, 0x1f)
    csrr a2, fcsr
    CHECK(35, a2, 0x4e)
    /* fflags accumulate */
    csrw fcsr, zero
    li a1, 0x3ff0000000000000
    fmv.d.x fa1, a1
    fmv.d.x fa2, zero
    fdiv.d fa0, fa1, fa2        /* DZ */
    fdiv.d fa0, fa2, fa2        /* NV */
    csrr a2, fflags
    CHECK(36, a2, 0x18)

    /* reserved rounding modes */
    ILLEGAL_AT(40, i_rm5, .insn r 0x53, 5, 1, fa0, fa1, fa2)  /* fadd.d rm=5 */
    ILLEGAL_AT(41, i_rm6, .insn r 0x53, 6, 1, fa0, fa1, fa2)
    csrwi frm, 5
    ILLEGAL_AT(42, i_dyn5, fadd.d fa0, fa1, fa2, dyn)
    csrwi frm, 7
    ILLEGAL_AT(43, i_dyn7, fcvt.w.d a0, fa1, dyn)
    /* a static mode works whatever frm holds */
    fadd.d fa0, fa1, fa1, rne
    fmv.x.d a2, fa0
    CHECK(44, a2, 0x4000000000000000)
    /* and instructions without rounding ignore frm */
    fsgnj.d fa0, fa1, fa1
    fmin.d fa0, fa1, fa2
    CHECK_NO_TRAP(45, mtrap_rec)
    csrwi frm, 1
    fadd.d fa0, fa1, fa2, dyn
    CHECK_NO_TRAP(46, mtrap_rec)
    PASS
sd_wrong:
    FAIL(90)
