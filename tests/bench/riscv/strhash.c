/* Strings and hashing: builds pseudo-random words, inserts them into an
 * open-addressing table keyed by FNV-1a, then looks up words (hits and
 * misses) comparing strings byte by byte. */
#include "bench.h"

#define WORDS       2048
#define WORD_MAX    16
#define TABLE_SIZE  4096            /* power of two, > 2 * WORDS */
#define ROUNDS      200

static char words[WORDS][WORD_MAX];
static int16_t table[TABLE_SIZE];   /* index into words, -1 = empty */

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;

    while (*s) {
        h ^= (uint8_t)*s++;
        h *= 16777619u;
    }
    return h;
}

static int str_equal(const char *x, const char *y)
{
    while (*x && *x == *y) {
        x++;
        y++;
    }
    return *x == *y;
}

static void make_word(char *w, uint32_t *seed)
{
    int len = 3 + bench_rand(seed) % (WORD_MAX - 4);

    for (int i = 0; i < len; i++) {
        w[i] = (char)('a' + bench_rand(seed) % 26);
    }
    w[len] = 0;
}

/* Returns the slot holding w, or the empty slot where it would go. */
static uint32_t find_slot(const char *w)
{
    uint32_t i = fnv1a(w) & (TABLE_SIZE - 1);

    while (table[i] >= 0 && !str_equal(words[table[i]], w)) {
        i = (i + 1) & (TABLE_SIZE - 1);
    }
    return i;
}

static uint64_t one_round(uint32_t *seed)
{
    char probe[WORD_MAX];
    uint64_t hits = 0, misses = 0;

    for (int i = 0; i < TABLE_SIZE; i++) {
        table[i] = -1;
    }
    for (int i = 0; i < WORDS; i++) {
        uint32_t slot;

        make_word(words[i], seed);
        slot = find_slot(words[i]);
        if (table[slot] < 0) {
            table[slot] = (int16_t)i;
        }
    }
    for (int i = 0; i < 4 * WORDS; i++) {
        if (i & 1) {
            make_word(probe, seed);
        } else {
            memcpy(probe, words[bench_rand(seed) % WORDS], WORD_MAX);
        }
        if (table[find_slot(probe)] >= 0) {
            hits++;
        } else {
            misses++;
        }
    }
    return hits << 32 | misses;
}

int main(void)
{
    uint32_t seed = 0x9e3779b9;
    uint64_t start = bench_instret(), sum = 0;

    for (int r = 0; r < ROUNDS; r++) {
        sum = sum * 31 + one_round(&seed);
    }
    bench_report("strhash", bench_instret() - start, sum);
    return 0;
}
