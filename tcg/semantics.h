/* Reference semantics of IR ops, shared by the optimiser's constant
 * folder and the threaded backend's handlers so that both compute the
 * same thing.  (The unit tests carry a third, independent copy.) */
#ifndef TCG_SEMANTICS_H
#define TCG_SEMANTICS_H

#include <stdint.h>
#include "tcg/ir.h"

static inline uint64_t sem_sext32(uint64_t x)
{
    return (uint64_t)(int64_t)(int32_t)x;
}

static inline uint64_t sem_rotl(uint64_t a, unsigned n)
{
    n &= 63;
    return n ? (a << n) | (a >> (64 - n)) : a;
}

static inline uint32_t sem_rotl32(uint32_t a, unsigned n)
{
    n &= 31;
    return n ? (a << n) | (a >> (32 - n)) : a;
}

static inline uint64_t sem_div(uint64_t a, uint64_t b)
{
    if (b == 0) {
        return UINT64_MAX;
    }
    if ((int64_t)a == INT64_MIN && (int64_t)b == -1) {
        return a;
    }
    return (uint64_t)((int64_t)a / (int64_t)b);
}

static inline uint64_t sem_rem(uint64_t a, uint64_t b)
{
    if (b == 0) {
        return a;
    }
    if ((int64_t)a == INT64_MIN && (int64_t)b == -1) {
        return 0;
    }
    return (uint64_t)((int64_t)a % (int64_t)b);
}

static inline uint64_t sem_divu(uint64_t a, uint64_t b)
{
    return b ? a / b : UINT64_MAX;
}

static inline uint64_t sem_remu(uint64_t a, uint64_t b)
{
    return b ? a % b : a;
}

static inline uint64_t sem_div32(uint64_t a, uint64_t b)
{
    return sem_sext32(sem_div(sem_sext32(a), sem_sext32(b)));
}

static inline uint64_t sem_rem32(uint64_t a, uint64_t b)
{
    return sem_sext32(sem_rem(sem_sext32(a), sem_sext32(b)));
}

static inline uint64_t sem_divu32(uint64_t a, uint64_t b)
{
    return sem_sext32(sem_divu((uint32_t)a, (uint32_t)b));
}

static inline uint64_t sem_remu32(uint64_t a, uint64_t b)
{
    return sem_sext32(sem_remu((uint32_t)a, (uint32_t)b));
}

static inline uint64_t sem_mulsh(uint64_t a, uint64_t b)
{
    return (uint64_t)(((__int128)(int64_t)a * (int64_t)b) >> 64);
}

static inline uint64_t sem_muluh(uint64_t a, uint64_t b)
{
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
}

static inline uint64_t sem_mulsuh(uint64_t a, uint64_t b)
{
    return (uint64_t)(((__int128)(int64_t)a * (__int128)b) >> 64);
}

static inline uint64_t sem_clz(uint64_t a)
{
    return a ? (uint64_t)__builtin_clzll(a) : 64;
}

static inline uint64_t sem_ctz(uint64_t a)
{
    return a ? (uint64_t)__builtin_ctzll(a) : 64;
}

static inline uint64_t sem_clz32(uint64_t a)
{
    return (uint32_t)a ? (uint64_t)__builtin_clz((uint32_t)a) : 32;
}

static inline uint64_t sem_ctz32(uint64_t a)
{
    return (uint32_t)a ? (uint64_t)__builtin_ctz((uint32_t)a) : 32;
}

/* X-macro bodies: X(name, expression of a and b) */
#define TCG_FOR_EACH_BINARY(X)                                           \
    X(add, a + b)                                                        \
    X(sub, a - b)                                                        \
    X(and, a & b)                                                        \
    X(or, a | b)                                                         \
    X(xor, a ^ b)                                                        \
    X(andc, a & ~b)                                                      \
    X(orc, a | ~b)                                                       \
    X(eqv, ~(a ^ b))                                                     \
    X(shl, a << (b & 63))                                                \
    X(shr, a >> (b & 63))                                                \
    X(sar, (uint64_t)((int64_t)a >> (b & 63)))                           \
    X(rotl, sem_rotl(a, b))                                              \
    X(rotr, sem_rotl(a, 64 - (b & 63)))                                  \
    X(mul, a * b)                                                        \
    X(mulsh, sem_mulsh(a, b))                                            \
    X(muluh, sem_muluh(a, b))                                            \
    X(mulsuh, sem_mulsuh(a, b))                                          \
    X(div, sem_div(a, b))                                                \
    X(divu, sem_divu(a, b))                                              \
    X(rem, sem_rem(a, b))                                                \
    X(remu, sem_remu(a, b))                                              \
    X(min, (int64_t)a < (int64_t)b ? a : b)                              \
    X(minu, a < b ? a : b)                                               \
    X(max, (int64_t)a > (int64_t)b ? a : b)                              \
    X(maxu, a > b ? a : b)                                               \
    X(add32, sem_sext32(a + b))                                          \
    X(sub32, sem_sext32(a - b))                                          \
    X(mul32, sem_sext32(a * b))                                          \
    X(shl32, sem_sext32((uint32_t)a << (b & 31)))                        \
    X(shr32, sem_sext32((uint32_t)a >> (b & 31)))                        \
    X(sar32, sem_sext32((uint32_t)((int32_t)a >> (b & 31))))             \
    X(rotl32, sem_sext32(sem_rotl32(a, b)))                              \
    X(rotr32, sem_sext32(sem_rotl32(a, 32 - (b & 31))))                  \
    X(div32, sem_div32(a, b))                                            \
    X(divu32, sem_divu32(a, b))                                          \
    X(rem32, sem_rem32(a, b))                                            \
    X(remu32, sem_remu32(a, b))

#define TCG_FOR_EACH_UNARY(X)                                            \
    X(not, ~a)                                                           \
    X(neg, -a)                                                           \
    X(ext8s, (uint64_t)(int64_t)(int8_t)a)                               \
    X(ext16s, (uint64_t)(int64_t)(int16_t)a)                             \
    X(ext32s, (uint64_t)(int64_t)(int32_t)a)                             \
    X(ext8u, (uint8_t)a)                                                 \
    X(ext16u, (uint16_t)a)                                               \
    X(ext32u, (uint32_t)a)                                               \
    X(bswap16, __builtin_bswap16((uint16_t)a))                           \
    X(bswap32, __builtin_bswap32((uint32_t)a))                           \
    X(bswap64, __builtin_bswap64(a))                                     \
    X(clz, sem_clz(a))                                                   \
    X(ctz, sem_ctz(a))                                                   \
    X(ctpop, (uint64_t)__builtin_popcountll(a))                          \
    X(clz32, sem_clz32(a))                                               \
    X(ctz32, sem_ctz32(a))                                               \
    X(ctpop32, (uint64_t)__builtin_popcount((uint32_t)a))

/* X(NAME, expression of a and b) for every real condition */
#define TCG_FOR_EACH_COND(X)                                             \
    X(EQ, a == b)                                                        \
    X(NE, a != b)                                                        \
    X(LT, (int64_t)a < (int64_t)b)                                       \
    X(GE, (int64_t)a >= (int64_t)b)                                      \
    X(LE, (int64_t)a <= (int64_t)b)                                      \
    X(GT, (int64_t)a > (int64_t)b)                                       \
    X(LTU, a < b)                                                        \
    X(GEU, a >= b)                                                       \
    X(LEU, a <= b)                                                       \
    X(GTU, a > b)

/* Not for hot paths: a switch. */
bool tcg_eval_cond(TCGCond c, uint64_t a, uint64_t b);
/* Folds a binary or unary op (OPF_BINARY/OPF_UNARY); b ignored for
 * unary ones. */
uint64_t tcg_eval_op(TCGOpcode opc, uint64_t a, uint64_t b);

#endif
