/* Little-endian accesses of 1, 2, 4 or 8 bytes to host memory holding
 * guest memory.  Fixed-size copies compile to single loads and stores, so
 * an aligned access is atomic, as a guest's page-table walker and other
 * harts expect.  Used by memory dispatch and the translator's RAM path. */
#ifndef UTIL_HOST_MEM_H
#define UTIL_HOST_MEM_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

/* Guest code races on its own memory by design (spinlocks, lock-free
 * queues between harts); the host sees those races as plain accesses
 * through this header.  Under TSan, aligned accesses go through relaxed
 * atomics, which compile to the same instructions, so that the reports
 * that remain are races in weft, not in the guest. */
#if defined(__SANITIZE_THREAD__)
#define HOST_MEM_RELAXED(p, size) (((uintptr_t)(p) & ((size) - 1)) == 0)
#else
#define HOST_MEM_RELAXED(p, size) 0
#endif

static inline uint64_t ldn_le_p(const void *p, unsigned size)
{
    switch (size) {
    case 1:
        return __atomic_load_n((const uint8_t *)p, __ATOMIC_RELAXED);
    case 2: {
        uint16_t v;

        if (HOST_MEM_RELAXED(p, 2))
            v = __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
        else
            memcpy(&v, p, 2);
        return le16toh(v);
    }
    case 4: {
        uint32_t v;

        if (HOST_MEM_RELAXED(p, 4))
            v = __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
        else
            memcpy(&v, p, 4);
        return le32toh(v);
    }
    default: {
        uint64_t v;

        if (HOST_MEM_RELAXED(p, 8))
            v = __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
        else
            memcpy(&v, p, 8);
        return le64toh(v);
    }
    }
}

static inline void stn_le_p(void *p, unsigned size, uint64_t val)
{
    switch (size) {
    case 1:
        __atomic_store_n((uint8_t *)p, (uint8_t)val, __ATOMIC_RELAXED);
        break;
    case 2: {
        uint16_t v = htole16((uint16_t)val);

        if (HOST_MEM_RELAXED(p, 2))
            __atomic_store_n((uint16_t *)p, v, __ATOMIC_RELAXED);
        else
            memcpy(p, &v, 2);
        break;
    }
    case 4: {
        uint32_t v = htole32((uint32_t)val);

        if (HOST_MEM_RELAXED(p, 4))
            __atomic_store_n((uint32_t *)p, v, __ATOMIC_RELAXED);
        else
            memcpy(p, &v, 4);
        break;
    }
    default: {
        uint64_t v = htole64(val);

        if (HOST_MEM_RELAXED(p, 8))
            __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED);
        else
            memcpy(p, &v, 8);
        break;
    }
    }
}

/* Bulk copies between guest RAM and a private host buffer, for devices
 * that read and write guest memory (DMA) from their own threads while
 * vCPUs may store to the same bytes.  Guest RAM is accessed only through
 * naturally aligned relaxed atomics of up to 8 bytes, so a concurrent
 * guest store is a defined race: every word copied is whole, old or new,
 * as with a DMA engine on real hardware (the copy as a whole is not
 * atomic, and is not ordered: publish with a release store after it).
 * The private buffer side is plain. */

/* The widest naturally aligned access at p that fits in len (>= 1). */
static inline unsigned host_mem_width(const void *p, size_t len)
{
    uintptr_t a = (uintptr_t)p;

    if (!(a & 7) && len >= 8)
        return 8;
    if (!(a & 3) && len >= 4)
        return 4;
    if (!(a & 1) && len >= 2)
        return 2;
    return 1;
}

/* One naturally aligned relaxed load of size bytes into dst (any
 * alignment), host byte order kept. */
static inline void host_mem_load_word(void *dst, const void *guest,
                                      unsigned size)
{
    switch (size) {
    case 8: {
        uint64_t v = __atomic_load_n((const uint64_t *)guest,
                                     __ATOMIC_RELAXED);
        memcpy(dst, &v, 8);
        break;
    }
    case 4: {
        uint32_t v = __atomic_load_n((const uint32_t *)guest,
                                     __ATOMIC_RELAXED);
        memcpy(dst, &v, 4);
        break;
    }
    case 2: {
        uint16_t v = __atomic_load_n((const uint16_t *)guest,
                                     __ATOMIC_RELAXED);
        memcpy(dst, &v, 2);
        break;
    }
    default:
        *(uint8_t *)dst = __atomic_load_n((const uint8_t *)guest,
                                          __ATOMIC_RELAXED);
        break;
    }
}

static inline void host_mem_store_word(void *guest, const void *src,
                                       unsigned size)
{
    switch (size) {
    case 8: {
        uint64_t v;

        memcpy(&v, src, 8);
        __atomic_store_n((uint64_t *)guest, v, __ATOMIC_RELAXED);
        break;
    }
    case 4: {
        uint32_t v;

        memcpy(&v, src, 4);
        __atomic_store_n((uint32_t *)guest, v, __ATOMIC_RELAXED);
        break;
    }
    case 2: {
        uint16_t v;

        memcpy(&v, src, 2);
        __atomic_store_n((uint16_t *)guest, v, __ATOMIC_RELAXED);
        break;
    }
    default:
        __atomic_store_n((uint8_t *)guest, *(const uint8_t *)src,
                         __ATOMIC_RELAXED);
        break;
    }
}

/* dst <- guest RAM.  The aligned middle goes 32 bytes per iteration:
 * four independent 8-byte loads and stores (plain moves on x86-64 and
 * arm64; no bounce through a stack array, which stalls store
 * forwarding). */
static inline void host_mem_read(void *dst, const void *guest, size_t len)
{
    uint8_t *d = dst;
    const uint8_t *g = guest;
    unsigned n;

    while (len && ((uintptr_t)g & 7)) {
        n = host_mem_width(g, len);
        host_mem_load_word(d, g, n);
        d += n;
        g += n;
        len -= n;
    }
    for (; len >= 32; len -= 32) {
        host_mem_load_word(d, g, 8);
        host_mem_load_word(d + 8, g + 8, 8);
        host_mem_load_word(d + 16, g + 16, 8);
        host_mem_load_word(d + 24, g + 24, 8);
        d += 32;
        g += 32;
    }
    while (len) {
        n = host_mem_width(g, len);
        host_mem_load_word(d, g, n);
        d += n;
        g += n;
        len -= n;
    }
}

/* guest RAM <- src; the caller marks the range dirty. */
static inline void host_mem_write(void *guest, const void *src, size_t len)
{
    uint8_t *g = guest;
    const uint8_t *s = src;
    unsigned n;

    while (len && ((uintptr_t)g & 7)) {
        n = host_mem_width(g, len);
        host_mem_store_word(g, s, n);
        g += n;
        s += n;
        len -= n;
    }
    for (; len >= 32; len -= 32) {
        host_mem_store_word(g, s, 8);
        host_mem_store_word(g + 8, s + 8, 8);
        host_mem_store_word(g + 16, s + 16, 8);
        host_mem_store_word(g + 24, s + 24, 8);
        g += 32;
        s += 32;
    }
    while (len) {
        n = host_mem_width(g, len);
        host_mem_store_word(g, s, n);
        g += n;
        s += n;
        len -= n;
    }
}

#endif
