/* Integer matrix multiply: 64 x 64 int32 matrices, C = A * B, then
 * A = C >> 8 so every round depends on the last. */
#include "bench.h"

#define DIM     64
#define ROUNDS  250

static int32_t a[DIM][DIM], b[DIM][DIM], c[DIM][DIM];

static void multiply(void)
{
    for (int i = 0; i < DIM; i++) {
        for (int j = 0; j < DIM; j++) {
            int32_t acc = 0;

            for (int k = 0; k < DIM; k++) {
                acc += a[i][k] * b[k][j];
            }
            c[i][j] = acc;
        }
    }
}

int main(void)
{
    uint32_t seed = 0x2545f491;
    uint64_t start = bench_instret(), sum = 0;

    for (int i = 0; i < DIM; i++) {
        for (int j = 0; j < DIM; j++) {
            a[i][j] = (int32_t)(bench_rand(&seed) % 256) - 128;
            b[i][j] = (int32_t)(bench_rand(&seed) % 256) - 128;
        }
    }
    for (int r = 0; r < ROUNDS; r++) {
        multiply();
        for (int i = 0; i < DIM; i++) {
            for (int j = 0; j < DIM; j++) {
                a[i][j] = c[i][j] >> 8;
                sum = sum * 31 + (uint32_t)c[i][j];
            }
        }
    }
    bench_report("matmul", bench_instret() - start, sum);
    return 0;
}
