/* Start-up for the C guest tests: rvt.h's harness, FP on (FS =
 * Initial), then cmain(); 0 passes, n fails with number n. */
#include "rvt.h"
RVT_PROLOGUE
main:
    li t0, 1 << 13
    csrs mstatus, t0
    call cmain
    bnez a0, 1f
    PASS
1:  slli a0, a0, 1
    ori a0, a0, 1
    la t5, tohost
    sd a0, 0(t5)
2:  j 2b
