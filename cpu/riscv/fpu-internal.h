/*
 * The software floating-point core behind cpu/riscv/fpu.c: IEEE 754
 * binary32/binary64 on raw bit patterns (a binary32 in the low 32 bits,
 * no NaN boxing at this level), with the RISC-V rules built in: every NaN
 * result is the canonical NaN, tininess is detected after rounding, RMM is
 * supported.  rm is 0..4; flags are ORed into *flags (RISCV_FFLAG_*).
 *
 * fpu.c uses it for everything the host FPU cannot do bit-exactly; the
 * unit tests call it directly so the path is checked even where the host
 * path would normally run.
 */
#ifndef CPU_RISCV_FPU_INTERNAL_H
#define CPU_RISCV_FPU_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/riscv/fpu.h"

enum fpsoft_fmt {
    FPSOFT_S,   /* binary32 */
    FPSOFT_D,   /* binary64 */
};

uint64_t fpsoft_add(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned rm,
                    unsigned *flags);
uint64_t fpsoft_sub(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned rm,
                    unsigned *flags);
uint64_t fpsoft_mul(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned rm,
                    unsigned *flags);
uint64_t fpsoft_div(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned rm,
                    unsigned *flags);
uint64_t fpsoft_sqrt(enum fpsoft_fmt f, uint64_t a, unsigned rm,
                     unsigned *flags);
/* a*b+c with one rounding; fmsub and friends flip the sign bits first. */
uint64_t fpsoft_fma(enum fpsoft_fmt f, uint64_t a, uint64_t b, uint64_t c,
                    unsigned rm, unsigned *flags);

uint64_t fpsoft_min(enum fpsoft_fmt f, uint64_t a, uint64_t b,
                    unsigned *flags);
uint64_t fpsoft_max(enum fpsoft_fmt f, uint64_t a, uint64_t b,
                    unsigned *flags);
bool fpsoft_eq(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned *flags);
bool fpsoft_lt(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned *flags);
bool fpsoft_le(enum fpsoft_fmt f, uint64_t a, uint64_t b, unsigned *flags);
unsigned fpsoft_class(enum fpsoft_fmt f, uint64_t a);

/*
 * Float to a 32- or 64-bit integer, saturating as RISC-V specifies.  The
 * result is the RV64 x-register value (32-bit results sign-extended).
 */
uint64_t fpsoft_to_int(enum fpsoft_fmt f, uint64_t a, int int_bits,
                       bool is_signed, unsigned rm, unsigned *flags);
/* The low int_bits bits of x, read as signed or unsigned, to float. */
uint64_t fpsoft_from_int(enum fpsoft_fmt f, uint64_t x, int int_bits,
                         bool is_signed, unsigned rm, unsigned *flags);

uint64_t fpsoft_d_to_s(uint64_t a, unsigned rm, unsigned *flags);
uint64_t fpsoft_s_to_d(uint64_t a, unsigned *flags);

#endif
