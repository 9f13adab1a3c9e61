/* Floating point: a double-precision matrix multiply, an n-body style
 * step with division and square roots, and a single-precision
 * Mandelbrot; the checksum takes the exact bits of the results. */
#include "bench.h"

#define DIM     32
#define BODIES  32
#define ROUNDS  100

static double ma[DIM][DIM], mb[DIM][DIM], mc[DIM][DIM];
static double px[BODIES], py[BODIES], vx[BODIES], vy[BODIES];

static uint64_t bits_of(double d)
{
    union { double d; uint64_t u; } v = { .d = d };

    return v.u;
}

static double dmatmul(void)
{
    double trace = 0;

    for (int i = 0; i < DIM; i++) {
        for (int j = 0; j < DIM; j++) {
            double acc = 0;

            for (int k = 0; k < DIM; k++) {
                acc += ma[i][k] * mb[k][j];
            }
            mc[i][j] = acc;
        }
    }
    for (int i = 0; i < DIM; i++) {
        trace += mc[i][i];
        for (int j = 0; j < DIM; j++) {
            ma[i][j] = mc[i][j] / (1.0 + __builtin_fabs(mc[i][j]));
        }
    }
    return trace;
}

static double nbody_step(double dt)
{
    double energy = 0;

    for (int i = 0; i < BODIES; i++) {
        double ax = 0, ay = 0;

        for (int j = 0; j < BODIES; j++) {
            double dx = px[j] - px[i], dy = py[j] - py[i];
            double d2 = dx * dx + dy * dy + 0.01;
            double inv = 1.0 / (d2 * __builtin_sqrt(d2));

            ax += dx * inv;
            ay += dy * inv;
        }
        vx[i] += ax * dt;
        vy[i] += ay * dt;
    }
    for (int i = 0; i < BODIES; i++) {
        px[i] += vx[i] * dt;
        py[i] += vy[i] * dt;
        energy += 0.5 * (vx[i] * vx[i] + vy[i] * vy[i]);
    }
    return energy;
}

static uint32_t mandel(int size, int iters)
{
    uint32_t inside = 0;

    for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
            float cr = -2.0f + 2.5f * (float)x / (float)size;
            float ci = -1.25f + 2.5f * (float)y / (float)size;
            float zr = 0, zi = 0;
            int n = 0;

            while (n < iters && zr * zr + zi * zi < 4.0f) {
                float t = zr * zr - zi * zi + cr;

                zi = 2.0f * zr * zi + ci;
                zr = t;
                n++;
            }
            inside += (uint32_t)n;
        }
    }
    return inside;
}

int main(void)
{
    uint32_t seed = 0x0badf00d;
    uint64_t start = bench_instret(), sum = 0;

    for (int i = 0; i < DIM; i++) {
        for (int j = 0; j < DIM; j++) {
            ma[i][j] = (double)(bench_rand(&seed) % 2001) / 1000.0 - 1.0;
            mb[i][j] = (double)(bench_rand(&seed) % 2001) / 1000.0 - 1.0;
        }
    }
    for (int i = 0; i < BODIES; i++) {
        px[i] = (double)(bench_rand(&seed) % 1000);
        py[i] = (double)(bench_rand(&seed) % 1000);
        vx[i] = vy[i] = 0;
    }
    for (int r = 0; r < ROUNDS; r++) {
        sum = sum * 31 + bits_of(dmatmul());
        for (int s = 0; s < 10; s++) {
            sum = sum * 31 + bits_of(nbody_step(0.01));
        }
        sum = sum * 31 + mandel(64, 64);
    }
    bench_report("fp", bench_instret() - start, sum);
    return 0;
}
