/* wfi and privilege (priv spec 1.12, 3.1.6.5 and 3.3.3): with S
 * implemented, wfi in U is an illegal instruction whatever TW says; in
 * S it is one when TW = 1; M is never affected.  With nothing pending
 * and enabled a wfi that is allowed would sleep for good, so the trapping
 * cases run with mie = 0 (weft traps at once, as the spec allows), and
 * the allowed ones with an interrupt pending and enabled in mie but
 * masked (SIE / MIE = 0): such a wfi returns at once.  The illegal
 * instruction reports the instruction bits in xtval, and is delegated
 * to S by medeleg like any other.  A watchdog (machine timer, 3 s)
 * ends a wfi that wrongly waits: the interrupt is recorded instead of
 * the illegal instruction, and the check fails. */
#include "rvt.h"
#define WFI_BITS 0x10500073
#define MIP_SSIP 2
#define MIP_MTIP 0x80
#define CLINT_MTIMECMP 0x2004000
#define CLINT_MTIME 0x200bff8

/* wfi in mode `go` (GOTO_U or GOTO_S) traps to M as illegal */
#define WFI_TRAPS(n, go, priv)              \
    go;                                     \
10: wfi;                                    \
    GOTO_M;                                 \
    CHECK_TRAP(n, mtrap_rec, CAUSE_ILLEGAL); \
    CHECK_REC(n, mtrap_rec, REC_TVAL, WFI_BITS); \
    CHECK_REC_SYM(n, mtrap_rec, REC_EPC, 10b); \
    CHECK_REC(n, mtrap_rec, REC_PRIV, priv)

RVT_PROLOGUE
    .size tohost, 8             /* QEMU's HTIF wants the sizes */
    .size fromhost, 8
    .option norvc
main:
    csrw mie, zero
    csrw mideleg, zero
    csrw medeleg, zero
    li t1, CLINT_MTIME          /* the watchdog: 3 s at 10 MHz */
    ld t0, 0(t1)
    li t1, 30000000
    add t0, t0, t1
    li t1, CLINT_MTIMECMP
    sd t0, 0(t1)
    li t0, MIP_MTIP
    csrw mie, t0
    /* U traps with TW = 0 and with TW = 1 */
    WFI_TRAPS(1, GOTO_U, 0)
    li t0, MSTATUS_TW
    csrs mstatus, t0
    WFI_TRAPS(2, GOTO_U, 0)
    /* S traps with TW = 1 */
    WFI_TRAPS(3, GOTO_S, 1)
    csrw mie, zero
    /* M is not affected by TW: an enabled, pending, masked interrupt
     * (SSIP for M, MIE = 0) ends the wait */
    li t0, MSTATUS_MIE | MSTATUS_SIE
    csrc mstatus, t0
    li t0, MIP_SSIP
    csrs mie, t0
    csrs mip, t0
    wfi
    CHECK_NO_TRAP(4, mtrap_rec)
    /* S with TW = 0 may wait: SSIP delegated, SIE = 0 */
    li t0, MSTATUS_TW
    csrc mstatus, t0
    li t0, MIP_SSIP
    csrw mideleg, t0
    GOTO_S
    wfi
    GOTO_M
    CHECK_NO_TRAP(5, mtrap_rec)
    CHECK_NO_TRAP(5, strap_rec)
    li t0, MIP_SSIP
    csrc mip, t0
    csrw mie, zero
    csrw mideleg, zero
    /* delegated: U's (and S's under TW) illegal wfi go to S */
    li t0, 1 << CAUSE_ILLEGAL
    csrw medeleg, t0
    li t0, MIP_MTIP             /* the watchdog again */
    csrw mie, t0
    GOTO_U
u_wfi:
    wfi
    GOTO_M
    CHECK_NO_TRAP(6, mtrap_rec)
    CHECK_TRAP(6, strap_rec, CAUSE_ILLEGAL)
    CHECK_REC(6, strap_rec, REC_TVAL, WFI_BITS)
    CHECK_REC_SYM(6, strap_rec, REC_EPC, u_wfi)
    CHECK_REC(6, strap_rec, REC_PRIV, 0)
    li t0, MSTATUS_TW
    csrs mstatus, t0
    GOTO_S
s_wfi:
    wfi
    GOTO_M
    CHECK_NO_TRAP(7, mtrap_rec)
    CHECK_TRAP(7, strap_rec, CAUSE_ILLEGAL)
    CHECK_REC_SYM(7, strap_rec, REC_EPC, s_wfi)
    CHECK_REC(7, strap_rec, REC_PRIV, 1)
    csrw mie, zero
    csrw medeleg, zero
    li t0, MSTATUS_TW
    csrc mstatus, t0
    PASS
