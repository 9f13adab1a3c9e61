/* A extension: every AMO (old value returned, memory updated, W forms
 * sign-extended and compared on 32 bits), LR/SC success and the cases
 * where SC must fail (spec 8.2: no reservation, another address, a store
 * from another hart in between), and misaligned or unbacked atomics
 * trapping.  Runs with -smp 2: hart 1 makes the intervening store. */
#define RVT_SECONDARY hart1
#include "rvt.h"
RVT_PROLOGUE

/* AMO op on memory word initialised to init with operand src: checks
 * the returned old value and the new memory contents. */
#define AMO_D(n, op, init, src, newval)     \
    la a1, word;                            \
    li a2, init;                            \
    sd a2, 0(a1);                           \
    li a2, src;                             \
    op a3, a2, (a1);                        \
    CHECK(n, a3, init);                     \
    ld a3, 0(a1);                           \
    CHECK(n, a3, newval)

/* W forms: old value comes back sign-extended; the upper word of the
 * doubleword in memory is not touched. */
#define AMO_W(n, op, init, src, oldsext, newval) \
    la a1, word;                            \
    li a2, -1;                              \
    sd a2, 0(a1);                           \
    li a2, init;                            \
    sw a2, 0(a1);                           \
    li a2, src;                             \
    op a3, a2, (a1);                        \
    CHECK(n, a3, oldsext);                  \
    lwu a3, 0(a1);                          \
    CHECK(n, a3, newval);                   \
    lw a3, 4(a1);                           \
    CHECK(n, a3, -1)

main:
    AMO_D(1, amoswap.d, 0x1111, 0x2222, 0x2222)
    AMO_D(2, amoadd.d, -1, 1, 0)
    AMO_D(3, amoxor.d, 0xff00, 0x0ff0, 0xf0f0)
    AMO_D(4, amoand.d, 0xff00, 0x0ff0, 0x0f00)
    AMO_D(5, amoor.d, 0xff00, 0x0ff0, 0xfff0)
    AMO_D(6, amomin.d, -1, 1, -1)
    AMO_D(7, amomax.d, -1, 1, 1)
    AMO_D(8, amominu.d, -1, 1, 1)
    AMO_D(9, amomaxu.d, -1, 1, -1)
    AMO_D(10, amomin.d, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000)
    AMO_D(11, amomaxu.d, 0x8000000000000000, 0x7fffffffffffffff, 0x8000000000000000)
    AMO_D(12, amoadd.d.aqrl, 0x7fffffffffffffff, 1, 0x8000000000000000)

    AMO_W(20, amoswap.w, 0x80000000, 0x12345678, 0xffffffff80000000, 0x12345678)
    AMO_W(21, amoadd.w, 0xffffffff, 1, -1, 0)
    AMO_W(22, amoadd.w, 0x7fffffff, 1, 0x7fffffff, 0x80000000)
    AMO_W(23, amoxor.w, 0x80000000, 0xffffffff, 0xffffffff80000000, 0x7fffffff)
    AMO_W(24, amoand.w, 0x80000001, 0x3, 0xffffffff80000001, 1)
    AMO_W(25, amoor.w, 0x1, 0x80000000, 1, 0x80000001)
    AMO_W(26, amomin.w, 0x80000000, 1, 0xffffffff80000000, 0x80000000)
    AMO_W(27, amomax.w, 0x80000000, 1, 0xffffffff80000000, 1)
    AMO_W(28, amominu.w, 0x80000000, 1, 0xffffffff80000000, 1)
    AMO_W(29, amomaxu.w, 0x80000000, 1, 0xffffffff80000000, 0x80000000)
    /* only the low word of rs2 takes part */
    AMO_W(30, amomin.w, 5, 0x100000000, 5, 0)
    AMO_W(31, amomaxu.w, 5, 0xffffffff00000003, 5, 5)

    /* amo with rd = x0 still writes memory */
    la a1, word
    sd zero, 0(a1)
    li a2, 9
    amoadd.d zero, a2, (a1)
    ld a3, 0(a1)
    CHECK(32, a3, 9)

    /* LR/SC: success writes and returns 0 */
    la a1, word
    li a2, 40
    sd a2, 0(a1)
    lr.d a3, (a1)
    CHECK(40, a3, 40)
    addi a3, a3, 2
    sc.d a4, a3, (a1)
    CHECK(41, a4, 0)
    ld a3, 0(a1)
    CHECK(42, a3, 42)
    /* the SC used the reservation up: a second one fails, no store */
    li a3, 99
    sc.d a4, a3, (a1)
    beqz a4, sc_wrong
    ld a3, 0(a1)
    CHECK(43, a3, 42)
    /* SC to an address outside the reservation set fails */
    la a5, far_word
    sd zero, 0(a5)
    lr.d a3, (a1)
    li a3, 7
    sc.d a4, a3, (a5)
    beqz a4, sc_wrong
    ld a3, 0(a5)
    CHECK(44, a3, 0)
    /* lr.w sign-extends; sc.w stores 32 bits */
    li a2, -1
    sd a2, 0(a1)
    li a2, 0x80000000
    sw a2, 0(a1)
    lr.w a3, (a1)
    CHECK(45, a3, 0xffffffff80000000)
    li a3, 0x12345678
    sc.w a4, a3, (a1)
    CHECK(46, a4, 0)
    ld a3, 0(a1)
    CHECK(47, a3, 0xffffffff12345678)

    /* a store by hart 1 between LR and SC makes the SC fail */
    la a1, word
    li a2, 5
    sd a2, 0(a1)
    lr.d a3, (a1)
    la a5, flag1
    li a2, 1
    sd a2, 0(a5)
    la a5, flag2
    li a6, 10000000
1:  ld a2, 0(a5)
    bnez a2, 2f
    addi a6, a6, -1
    bnez a6, 1b
    FAIL(48)                    /* hart 1 never stored */
2:  li a3, 6
    sc.d a4, a3, (a1)
    beqz a4, sc_wrong
    ld a3, 0(a1)
    CHECK(49, a3, 0x77)

    /* misaligned atomics trap with the address in mtval */
    la s1, word
    addi s1, s1, 4
    amoadd.d a3, a2, (s1)
    CHECK_TRAP(60, mtrap_rec, CAUSE_MISALIGNED_STORE)
    CHECK_REC_REG(61, mtrap_rec, REC_TVAL, s1)
    addi s1, s1, -2
    amoswap.w a3, a2, (s1)
    CHECK_TRAP(62, mtrap_rec, CAUSE_MISALIGNED_STORE)
    CHECK_REC_REG(63, mtrap_rec, REC_TVAL, s1)
    lr.w a3, (s1)
    CHECK_TRAP(64, mtrap_rec, CAUSE_MISALIGNED_LOAD)
    CHECK_REC_REG(65, mtrap_rec, REC_TVAL, s1)
    sc.w a3, a2, (s1)
    CHECK_TRAP(66, mtrap_rec, CAUSE_MISALIGNED_STORE)
    /* nothing at address 0x100: access faults */
    li s1, 0x100
    lr.d a3, (s1)
    CHECK_TRAP(69, mtrap_rec, CAUSE_LOAD_ACCESS)
    CHECK_REC_REG(68, mtrap_rec, REC_TVAL, s1)
    /* an AMO reports store/AMO faults, also for its read (spec 3.1.15) */
    amoor.d a3, a2, (s1)
    CHECK_TRAP(67, mtrap_rec, CAUSE_STORE_ACCESS)
    CHECK_REC_REG(70, mtrap_rec, REC_TVAL, s1)
    PASS
sc_wrong:
    FAIL(50)

/* hart 1: wait for hart 0's LR, store into its reservation set, say so */
hart1:
    la a5, flag1
1:  ld a2, 0(a5)
    beqz a2, 1b
    la a1, word
    li a2, 0x77
    sd a2, 0(a1)
    la a5, flag2
    li a2, 1
    sd a2, 0(a5)
2:  wfi
    j 2b

    .data
    .align 6
word:   .dword 0, 0
    .align 6
far_word: .dword 0
flag1:  .dword 0
flag2:  .dword 0
