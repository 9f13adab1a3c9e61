/* A CoreMark-like mix of branchy integer code: a linked list (build,
 * find, reverse), a state machine that classifies the tokens of a text
 * buffer, and a switch-heavy bit-twiddling loop. */
#include "bench.h"

#define NODES       512
#define TEXT_SIZE   4096
#define ROUNDS      3000

struct node {
    struct node *next;
    uint32_t key;
    uint32_t value;
};

static struct node pool[NODES];
static char text[TEXT_SIZE];

static struct node *list_build(uint32_t *seed)
{
    struct node *head = NULL;

    for (int i = 0; i < NODES; i++) {
        pool[i].key = bench_rand(seed) & 0xffff;
        pool[i].value = (uint32_t)i;
        pool[i].next = head;
        head = &pool[i];
    }
    return head;
}

static struct node *list_reverse(struct node *head)
{
    struct node *prev = NULL;

    while (head) {
        struct node *next = head->next;

        head->next = prev;
        prev = head;
        head = next;
    }
    return prev;
}

static uint32_t list_find_sum(struct node *head, uint32_t seed)
{
    uint32_t sum = 0;

    for (int q = 0; q < 16; q++) {
        uint32_t key = bench_rand(&seed) & 0xffff;

        for (struct node *n = head; n; n = n->next) {
            if (n->key == key || (n->key ^ key) < 8) {
                sum += n->value;
                break;
            }
        }
    }
    return sum;
}

enum token { START, INT, FLOAT, EXP, INVALID };

/* Counts integers, decimals, exponent numbers and invalid tokens. */
static uint32_t scan_tokens(void)
{
    uint32_t counts[5] = { 0 };
    enum token state = START;

    for (int i = 0; i < TEXT_SIZE; i++) {
        char c = text[i];

        if (c == ',') {
            counts[state]++;
            state = START;
            continue;
        }
        switch (state) {
        case START:
            state = c >= '0' && c <= '9' ? INT : c == '.' ? FLOAT : INVALID;
            break;
        case INT:
            if (c == '.') {
                state = FLOAT;
            } else if (c == 'e') {
                state = EXP;
            } else if (c < '0' || c > '9') {
                state = INVALID;
            }
            break;
        case FLOAT:
            if (c == 'e') {
                state = EXP;
            } else if (c < '0' || c > '9') {
                state = INVALID;
            }
            break;
        case EXP:
            if (c < '0' || c > '9') {
                state = INVALID;
            }
            break;
        default:
            break;
        }
    }
    return counts[INT] | counts[FLOAT] << 8 | counts[EXP] << 16 |
           counts[INVALID] << 24;
}

static uint32_t twiddle(uint32_t x)
{
    uint32_t acc = 0;

    for (int i = 0; i < 64; i++) {
        switch (x & 7) {
        case 0: acc += x >> 3; break;
        case 1: acc ^= x << 1; break;
        case 2: acc -= x; break;
        case 3: acc = (acc << 5) | (acc >> 27); break;
        case 4: acc += (x * 0x9e3779b1u) >> 16; break;
        case 5: acc ^= acc >> 7; break;
        case 6: acc += x & 0xff; break;
        default: acc = ~acc; break;
        }
        x = x * 1103515245u + 12345u;
    }
    return acc;
}

int main(void)
{
    static const char alphabet[] = "0123456789.,e,x";
    uint32_t seed = 0x13579bdf;
    uint64_t start = bench_instret(), sum = 0;
    struct node *head;

    for (int i = 0; i < TEXT_SIZE; i++) {
        text[i] = alphabet[bench_rand(&seed) % (sizeof(alphabet) - 1)];
    }
    head = list_build(&seed);
    for (int r = 0; r < ROUNDS; r++) {
        head = list_reverse(head);
        sum = sum * 31 + list_find_sum(head, (uint32_t)r);
        text[r % TEXT_SIZE] = alphabet[r % (sizeof(alphabet) - 1)];
        sum = sum * 31 + scan_tokens();
        for (int i = 0; i < 64; i++) {
            sum += twiddle((uint32_t)(r * 64 + i));
        }
    }
    bench_report("mix", bench_instret() - start, sum);
    return 0;
}
