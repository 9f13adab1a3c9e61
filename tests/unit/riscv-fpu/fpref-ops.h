/*
 * Shared between the differential test (host) and fpref.c (a bare RV64GC
 * program run under qemu-riscv64): the operations and the wire format.
 *
 * X(ID, weft function suffix, RISC-V mnemonic, operand kind)
 * Kinds:  F_FF   f = op(f, f) with rm        F_F    f = op(f) with rm
 *         F_FFF  f = op(f, f, f) with rm     F_FF0  f = op(f, f), flags
 *         X_FF   x = op(f, f), flags         F_FFN  f = op(f, f), no flags
 *         X_F    x = op(f) with rm           X_F0   x = op(f), no flags
 *         F_X    f = op(x) with rm           F_X0   f = op(x), no flags
 */
#ifndef FPREF_OPS_H
#define FPREF_OPS_H

#include <stdint.h>

#define FPREF_OPS_FORMAT(X, S, s)                                          \
    X(FADD_##S,   fadd_##s,   "fadd." #s,   F_FF)                           \
    X(FSUB_##S,   fsub_##s,   "fsub." #s,   F_FF)                           \
    X(FMUL_##S,   fmul_##s,   "fmul." #s,   F_FF)                           \
    X(FDIV_##S,   fdiv_##s,   "fdiv." #s,   F_FF)                           \
    X(FSQRT_##S,  fsqrt_##s,  "fsqrt." #s,  F_F)                            \
    X(FMADD_##S,  fmadd_##s,  "fmadd." #s,  F_FFF)                          \
    X(FMSUB_##S,  fmsub_##s,  "fmsub." #s,  F_FFF)                          \
    X(FNMSUB_##S, fnmsub_##s, "fnmsub." #s, F_FFF)                          \
    X(FNMADD_##S, fnmadd_##s, "fnmadd." #s, F_FFF)                          \
    X(FMIN_##S,   fmin_##s,   "fmin." #s,   F_FF0)                          \
    X(FMAX_##S,   fmax_##s,   "fmax." #s,   F_FF0)                          \
    X(FEQ_##S,    feq_##s,    "feq." #s,    X_FF)                           \
    X(FLT_##S,    flt_##s,    "flt." #s,    X_FF)                           \
    X(FLE_##S,    fle_##s,    "fle." #s,    X_FF)                           \
    X(FCLASS_##S, fclass_##s, "fclass." #s, X_F0)                           \
    X(FSGNJ_##S,  fsgnj_##s,  "fsgnj." #s,  F_FFN)                          \
    X(FSGNJN_##S, fsgnjn_##s, "fsgnjn." #s, F_FFN)                          \
    X(FSGNJX_##S, fsgnjx_##s, "fsgnjx." #s, F_FFN)                          \
    X(FCVT_W_##S,  fcvt_w_##s,  "fcvt.w." #s,  X_F)                         \
    X(FCVT_WU_##S, fcvt_wu_##s, "fcvt.wu." #s, X_F)                         \
    X(FCVT_L_##S,  fcvt_l_##s,  "fcvt.l." #s,  X_F)                         \
    X(FCVT_LU_##S, fcvt_lu_##s, "fcvt.lu." #s, X_F)                         \
    X(FCVT_##S##_W,  fcvt_##s##_w,  "fcvt." #s ".w",  F_X)                  \
    X(FCVT_##S##_WU, fcvt_##s##_wu, "fcvt." #s ".wu", F_X)                  \
    X(FCVT_##S##_L,  fcvt_##s##_l,  "fcvt." #s ".l",  F_X)                  \
    X(FCVT_##S##_LU, fcvt_##s##_lu, "fcvt." #s ".lu", F_X)

#define FPREF_OPS(X)                                                        \
    FPREF_OPS_FORMAT(X, S, s)                                               \
    FPREF_OPS_FORMAT(X, D, d)                                               \
    X(FCVT_S_D, fcvt_s_d, "fcvt.s.d", F_F)                                  \
    X(FCVT_D_S, fcvt_d_s, "fcvt.d.s", F_F)                                  \
    X(FMV_X_W,  fmv_x_w,  "fmv.x.w",  X_F0)                                 \
    X(FMV_W_X,  fmv_w_x,  "fmv.w.x",  F_X0)                                 \
    X(FMV_X_D,  fmv_x_d,  "fmv.x.d",  X_F0)                                 \
    X(FMV_D_X,  fmv_d_x,  "fmv.d.x",  F_X0)

enum fpref_op {
#define FPREF_ENUM(id, fn, mnemonic, kind) OP_##id,
    FPREF_OPS(FPREF_ENUM)
#undef FPREF_ENUM
    FPREF_NR_OPS
};

/* One case in, one result out, native little-endian on both sides. */
struct fpref_case {
    uint32_t op;
    uint32_t rm;        /* 0..4, written to frm; the instruction uses DYN */
    uint64_t a, b, c;   /* raw register values */
};

struct fpref_result {
    uint64_t value;     /* raw rd value (f or x register) */
    uint64_t fflags;
};

_Static_assert(sizeof(struct fpref_case) == 32, "wire format");
_Static_assert(sizeof(struct fpref_result) == 16, "wire format");

#endif
