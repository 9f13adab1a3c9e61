/* Little-endian accesses of 1, 2, 4 or 8 bytes to host memory holding
 * guest memory.  Fixed-size copies compile to single loads and stores, so
 * an aligned access is atomic, as a guest's page-table walker and other
 * harts expect.  Used by memory dispatch and the translator's RAM path. */
#ifndef UTIL_HOST_MEM_H
#define UTIL_HOST_MEM_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t ldn_le_p(const void *p, unsigned size)
{
    switch (size) {
    case 1:
        return *(const uint8_t *)p;
    case 2: {
        uint16_t v;

        memcpy(&v, p, 2);
        return le16toh(v);
    }
    case 4: {
        uint32_t v;

        memcpy(&v, p, 4);
        return le32toh(v);
    }
    default: {
        uint64_t v;

        memcpy(&v, p, 8);
        return le64toh(v);
    }
    }
}

static inline void stn_le_p(void *p, unsigned size, uint64_t val)
{
    switch (size) {
    case 1:
        *(uint8_t *)p = (uint8_t)val;
        break;
    case 2: {
        uint16_t v = htole16((uint16_t)val);

        memcpy(p, &v, 2);
        break;
    }
    case 4: {
        uint32_t v = htole32((uint32_t)val);

        memcpy(p, &v, 4);
        break;
    }
    default: {
        uint64_t v = htole64(val);

        memcpy(p, &v, 8);
        break;
    }
    }
}

#endif
