/* CRC32 (IEEE 802.3, reflected) of a 16 KiB buffer, table-driven with
 * a byte loop, repeated; the table itself is built bit by bit. */
#include "bench.h"

#define BUF_SIZE    16384
#define ROUNDS      3000

static uint32_t crc_table[256];
static uint8_t buf[BUF_SIZE];

static void crc_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;

        for (int k = 0; k < 8; k++) {
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[i] = c;
    }
}

static uint32_t crc32(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
}

int main(void)
{
    uint32_t seed = 0x12345678, crc = 0;
    uint64_t start = bench_instret(), sum = 0;

    crc_table_init();
    for (size_t i = 0; i < BUF_SIZE; i++) {
        buf[i] = (uint8_t)bench_rand(&seed);
    }
    for (int r = 0; r < ROUNDS; r++) {
        crc = crc32(crc, buf, BUF_SIZE);
        buf[r % BUF_SIZE] ^= (uint8_t)crc;   /* each round sees new data */
        sum = sum * 31 + crc;
    }
    bench_report("crc32", bench_instret() - start, sum);
    return 0;
}
