/* Private to cpu/riscv/: per-op facts the decoder and the disassembler
 * share, generated from insn.def. */
#ifndef CPU_RISCV_OP_INFO_H
#define CPU_RISCV_OP_INFO_H

#include <stdint.h>

#include "cpu/riscv/decode.h"

enum {
    RV_OPF_RV64  = 1u << 0,     /* not in RV32 */
    RV_OPF_RM    = 1u << 1,     /* funct3 is a rounding mode */
    RV_OPF_AMO   = 1u << 2,     /* has aq/rl bits */
    RV_OPF_EXACT = 1u << 3,     /* has rm, but the result is exact */
};

struct riscv_op_info {
    const char *name;
    const char *fmt;            /* operand layout, see insn.def */
    uint8_t ext;                /* enum riscv_ext */
    uint8_t flags;              /* RV_OPF_* */
};

extern const struct riscv_op_info riscv_op_info[RV_OP_COUNT];

#endif
