/* C extension: every RV64 compressed form with its immediate edges
 * (c.lui's sign extension from bit 17, c.addi16sp and c.addi4spn
 * ranges, c.ldsp/c.sdsp at the top offset), the link value of c.jalr
 * (pc + 2), c.ebreak, and reserved encodings trapping as illegal with
 * the 16 instruction bits in mtval. */
#include "rvt.h"
RVT_PROLOGUE
main:
    li t0, MSTATUS_FS
    csrs mstatus, t0
    /* c.li / c.addi / c.addiw / c.lui immediates */
    c.li a0, -32
    CHECK(1, a0, -32)
    c.li a0, 31
    CHECK(2, a0, 31)
    c.addi a0, -32
    CHECK(3, a0, -1)
    c.addi a0, 31
    CHECK(4, a0, 30)
    li a0, 0x7fffffff
    c.addiw a0, 1
    CHECK(5, a0, 0xffffffff80000000)
    li a0, 0x1ffffffff
    c.addiw a0, 0
    CHECK(6, a0, -1)
    c.lui a0, 0xfffe0
    CHECK(7, a0, 0xfffffffffffe0000)
    c.lui a0, 0x1f
    CHECK(8, a0, 0x1f000)
    c.lui a0, 1
    CHECK(9, a0, 0x1000)
    c.lui a0, 0xfffff
    CHECK(10, a0, 0xfffffffffffff000)
    /* c.addi16sp, c.addi4spn */
    mv s0, sp
    c.addi16sp sp, -512
    sub a0, s0, sp
    CHECK(11, a0, 512)
    c.addi16sp sp, 496
    sub a0, s0, sp
    CHECK(12, a0, 16)
    mv sp, s0
    c.addi4spn a0, sp, 1020
    sub a0, a0, sp
    CHECK(13, a0, 1020)
    c.addi4spn a0, sp, 4
    sub a0, a0, sp
    CHECK(14, a0, 4)
    /* shifts and logic on x8-x15 */
    li a0, -1
    c.srli a0, 63
    CHECK(15, a0, 1)
    c.slli a0, 63
    CHECK(16, a0, 0x8000000000000000)
    c.srai a0, 63
    CHECK(17, a0, -1)
    li a0, 0x1234
    c.srai a0, 1
    CHECK(18, a0, 0x91a)
    c.andi a0, -32
    CHECK(19, a0, 0x900)
    c.andi a0, 31
    CHECK(20, a0, 0)
    li a0, 0xf0
    li a1, 0x3c
    c.and a0, a1
    CHECK(21, a0, 0x30)
    c.or a0, a1
    CHECK(22, a0, 0x3c)
    c.xor a0, a1
    CHECK(23, a0, 0)
    c.sub a0, a1
    CHECK(24, a0, -0x3c)
    li a0, 0x80000000
    li a1, 1
    c.subw a0, a1
    CHECK(25, a0, 0x7fffffff)
    c.addw a0, a1
    CHECK(26, a0, 0xffffffff80000000)
    c.mv a2, a1
    CHECK(27, a2, 1)
    c.add a2, a1
    CHECK(28, a2, 2)
    c.nop
    /* loads and stores, register and sp based, at the offset limits */
    la s0, buf
    li a0, 0x1122334455667788
    c.sd a0, 248(s0)
    c.ld a1, 248(s0)
    CHECK(30, a1, 0x1122334455667788)
    li a0, 0x80000001
    c.sw a0, 124(s0)
    c.lw a1, 124(s0)
    CHECK(31, a1, 0xffffffff80000001)
    mv s1, sp
    mv sp, s0
    li a0, 0x0102030405060708
    c.sdsp a0, 504(sp)
    c.ldsp a1, 504(sp)
    CHECK(32, a1, 0x0102030405060708)
    ld a1, 504(s0)
    CHECK(33, a1, 0x0102030405060708)
    li a0, -2
    c.swsp a0, 252(sp)
    c.lwsp a1, 252(sp)
    CHECK(34, a1, -2)
    lwu a1, 252(s0)
    CHECK(35, a1, 0xfffffffe)
    /* FP loads and stores */
    li a0, 0x400921fb54442d18
    sd a0, 0(s0)
    c.fld fa0, 0(s0)
    c.fsd fa0, 8(s0)
    ld a1, 8(s0)
    CHECK(36, a1, 0x400921fb54442d18)
    c.fsdsp fa0, 256(sp)
    c.fldsp fa1, 256(sp)
    fmv.x.d a1, fa1
    CHECK(37, a1, 0x400921fb54442d18)
    mv sp, s1
    /* control transfer */
    li a0, 0
    c.beqz a0, 21f
    FAIL(40)
21: c.bnez a0, bad
    li a0, 3
    c.bnez a0, 22f
    FAIL(41)
22: c.j 23f
    FAIL(42)
23: la a1, jr_target
    c.jr a1
    FAIL(43)
jr_target:
    la a1, jalr_target
    c.jalr a1
jalr_ret:
    la a2, jalr_ret
    CHECK_EQ(44, s2, a2)
    /* c.ebreak: breakpoint, epc = tval = its address */
c_ebreak:
    c.ebreak
    CHECK_TRAP(45, mtrap_rec, CAUSE_BREAKPOINT)
    CHECK_REC_SYM(46, mtrap_rec, REC_EPC, c_ebreak)
    CHECK_REC_SYM(47, mtrap_rec, REC_TVAL, c_ebreak)
    /* reserved encodings */
    .half 0x0000                /* all zeros: illegal */
    CHECK_TRAP(50, mtrap_rec, CAUSE_ILLEGAL)
    CHECK_REC(51, mtrap_rec, REC_TVAL, 0)
    .half 0x6081                /* c.lui ra, 0 */
    CHECK_TRAP(52, mtrap_rec, CAUSE_ILLEGAL)
    CHECK_REC(53, mtrap_rec, REC_TVAL, 0x6081)
    .half 0x6101                /* c.addi16sp sp, 0 */
    CHECK_TRAP(54, mtrap_rec, CAUSE_ILLEGAL)
    CHECK_REC(55, mtrap_rec, REC_TVAL, 0x6101)
    .half 0x4002                /* c.lwsp x0 */
    CHECK_TRAP(56, mtrap_rec, CAUSE_ILLEGAL)
    .half 0x8002                /* c.jr x0 */
    CHECK_TRAP(57, mtrap_rec, CAUSE_ILLEGAL)
    .half 0x2001                /* c.addiw x0 */
    CHECK_TRAP(58, mtrap_rec, CAUSE_ILLEGAL)
    .half 0x6002                /* c.ldsp x0 */
    CHECK_TRAP(59, mtrap_rec, CAUSE_ILLEGAL)
    .half 0x0010                /* c.addi4spn a2, 0 with a nonzero rd */
    CHECK_TRAP(60, mtrap_rec, CAUSE_ILLEGAL)
    CHECK_REC(61, mtrap_rec, REC_TVAL, 0x0010)
    /* the HINT forms execute as no-ops */
    .half 0x0001                /* c.nop */
    .half 0x4001                /* c.li x0, 0 */
    .half 0x0002                /* c.slli x0, 0 */
    CHECK_NO_TRAP(62, mtrap_rec)
    PASS
bad:
    FAIL(48)
jalr_target:
    mv s2, ra
    ret

    .data
    .align 3
buf:
    .space 512
