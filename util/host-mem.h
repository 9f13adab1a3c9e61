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

#endif
