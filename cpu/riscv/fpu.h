/*
 * RISC-V F and D arithmetic (unprivileged spec 20191213, chapters 11-12).
 *
 * Every function is pure: operands are raw FP-register values (64 bits;
 * singles are NaN-boxed), the caller passes a resolved rounding mode
 * (RISCV_RM_RNE..RISCV_RM_RMM, see riscv_fpu_resolve_rm()) and the
 * exception flags the operation raises are ORed into *fflags, which is
 * how fcsr.fflags accrues them.  No global state; safe from any thread.
 *
 * Single-precision operands that are not properly NaN-boxed (upper 32 bits
 * not all ones) are read as the canonical NaN; single-precision results
 * are returned boxed.  Every NaN an arithmetic operation produces is the
 * canonical NaN.  Integer results are the full 64-bit x-register value
 * (32-bit results are sign-extended, as RV64 requires, even for .wu).
 *
 * Host requirement (x86-64): the calling thread's MXCSR has its default
 * control bits (RNE, exceptions masked, no DAZ/FTZ), as every weft thread
 * does.  The functions keep it that way; only its sticky status flags may
 * change, and nothing in weft reads them.
 */
#ifndef CPU_RISCV_FPU_H
#define CPU_RISCV_FPU_H

#include <stdbool.h>
#include <stdint.h>

/* fcsr.fflags bits */
#define RISCV_FFLAG_NX (1u << 0)    /* inexact */
#define RISCV_FFLAG_UF (1u << 1)    /* underflow */
#define RISCV_FFLAG_OF (1u << 2)    /* overflow */
#define RISCV_FFLAG_DZ (1u << 3)    /* divide by zero */
#define RISCV_FFLAG_NV (1u << 4)    /* invalid operation */

/* The rm field of an instruction and fcsr.frm; 5 and 6 are reserved. */
enum riscv_rm {
    RISCV_RM_RNE = 0,   /* nearest, ties to even */
    RISCV_RM_RTZ = 1,   /* towards zero */
    RISCV_RM_RDN = 2,   /* down, towards -inf */
    RISCV_RM_RUP = 3,   /* up, towards +inf */
    RISCV_RM_RMM = 4,   /* nearest, ties to max magnitude */
    RISCV_RM_DYN = 7,   /* use fcsr.frm (instruction field only) */
};

#define RISCV_CANON_NAN_S 0x7fc00000u
#define RISCV_CANON_NAN_D 0x7ff8000000000000ull
#define RISCV_NANBOX_MASK 0xffffffff00000000ull

/*
 * Resolves an instruction's rm field against fcsr.frm.  Returns the mode to
 * pass to the functions below (0..4), or -1 when the result is reserved
 * (rm 5/6, or DYN with frm 5/6/7): the instruction is then illegal.
 */
int riscv_fpu_resolve_rm(unsigned insn_rm, unsigned frm);

/* NaN boxing of a single inside a 64-bit register. */
static inline uint64_t riscv_box_s(uint32_t v)
{
    return RISCV_NANBOX_MASK | v;
}

static inline uint32_t riscv_unbox_s(uint64_t reg)
{
    if ((reg & RISCV_NANBOX_MASK) != RISCV_NANBOX_MASK)
        return RISCV_CANON_NAN_S;
    return (uint32_t)reg;
}

/* fmv: raw bit moves, no NaN-box check on the way out, no flags. */
static inline uint64_t riscv_fmv_x_w(uint64_t freg)
{
    return (uint64_t)(int64_t)(int32_t)(uint32_t)freg;
}

static inline uint64_t riscv_fmv_w_x(uint64_t xreg)
{
    return riscv_box_s((uint32_t)xreg);
}

static inline uint64_t riscv_fmv_x_d(uint64_t freg)
{
    return freg;
}

static inline uint64_t riscv_fmv_d_x(uint64_t xreg)
{
    return xreg;
}

/* Single precision: computational instructions, rd = op(rs1, rs2[, rs3]). */
uint64_t riscv_fadd_s(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags);
uint64_t riscv_fsub_s(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags);
uint64_t riscv_fmul_s(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags);
uint64_t riscv_fdiv_s(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags);
uint64_t riscv_fsqrt_s(uint64_t a, unsigned rm, unsigned *fflags);
/* a*b+c, a*b-c, -(a*b)+c, -(a*b)-c with a single rounding */
uint64_t riscv_fmadd_s(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                       unsigned *fflags);
uint64_t riscv_fmsub_s(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                       unsigned *fflags);
uint64_t riscv_fnmsub_s(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                        unsigned *fflags);
uint64_t riscv_fnmadd_s(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                        unsigned *fflags);
uint64_t riscv_fmin_s(uint64_t a, uint64_t b, unsigned *fflags);
uint64_t riscv_fmax_s(uint64_t a, uint64_t b, unsigned *fflags);
/* comparisons and fclass write an x register */
uint64_t riscv_feq_s(uint64_t a, uint64_t b, unsigned *fflags);
uint64_t riscv_flt_s(uint64_t a, uint64_t b, unsigned *fflags);
uint64_t riscv_fle_s(uint64_t a, uint64_t b, unsigned *fflags);
uint64_t riscv_fclass_s(uint64_t a);
uint64_t riscv_fsgnj_s(uint64_t a, uint64_t b);
uint64_t riscv_fsgnjn_s(uint64_t a, uint64_t b);
uint64_t riscv_fsgnjx_s(uint64_t a, uint64_t b);
/* float -> integer, saturating; the result is the x-register value */
uint64_t riscv_fcvt_w_s(uint64_t a, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_wu_s(uint64_t a, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_l_s(uint64_t a, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_lu_s(uint64_t a, unsigned rm, unsigned *fflags);
/* integer (an x-register value) -> float */
uint64_t riscv_fcvt_s_w(uint64_t x, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_s_wu(uint64_t x, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_s_l(uint64_t x, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_s_lu(uint64_t x, unsigned rm, unsigned *fflags);

/* Double precision: computational instructions, rd = op(rs1, rs2[, rs3]). */
uint64_t riscv_fadd_d(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags);
uint64_t riscv_fsub_d(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags);
uint64_t riscv_fmul_d(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags);
uint64_t riscv_fdiv_d(uint64_t a, uint64_t b, unsigned rm, unsigned *fflags);
uint64_t riscv_fsqrt_d(uint64_t a, unsigned rm, unsigned *fflags);
/* a*b+c, a*b-c, -(a*b)+c, -(a*b)-c with a single rounding */
uint64_t riscv_fmadd_d(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                       unsigned *fflags);
uint64_t riscv_fmsub_d(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                       unsigned *fflags);
uint64_t riscv_fnmsub_d(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                        unsigned *fflags);
uint64_t riscv_fnmadd_d(uint64_t a, uint64_t b, uint64_t c, unsigned rm,
                        unsigned *fflags);
uint64_t riscv_fmin_d(uint64_t a, uint64_t b, unsigned *fflags);
uint64_t riscv_fmax_d(uint64_t a, uint64_t b, unsigned *fflags);
/* comparisons and fclass write an x register */
uint64_t riscv_feq_d(uint64_t a, uint64_t b, unsigned *fflags);
uint64_t riscv_flt_d(uint64_t a, uint64_t b, unsigned *fflags);
uint64_t riscv_fle_d(uint64_t a, uint64_t b, unsigned *fflags);
uint64_t riscv_fclass_d(uint64_t a);
uint64_t riscv_fsgnj_d(uint64_t a, uint64_t b);
uint64_t riscv_fsgnjn_d(uint64_t a, uint64_t b);
uint64_t riscv_fsgnjx_d(uint64_t a, uint64_t b);
/* float -> integer, saturating; the result is the x-register value */
uint64_t riscv_fcvt_w_d(uint64_t a, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_wu_d(uint64_t a, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_l_d(uint64_t a, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_lu_d(uint64_t a, unsigned rm, unsigned *fflags);
/* integer (an x-register value) -> float */
uint64_t riscv_fcvt_d_w(uint64_t x, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_d_wu(uint64_t x, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_d_l(uint64_t x, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_d_lu(uint64_t x, unsigned rm, unsigned *fflags);

/* Between formats. */
uint64_t riscv_fcvt_s_d(uint64_t a, unsigned rm, unsigned *fflags);
uint64_t riscv_fcvt_d_s(uint64_t a, unsigned rm, unsigned *fflags);

#endif
