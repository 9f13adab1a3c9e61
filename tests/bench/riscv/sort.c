/* Sorting: quicksort (median of three, insertion sort below 16
 * elements) of 4096 pseudo-random words, checked, repeated. */
#include "bench.h"

#define N       4096
#define ROUNDS  1000

static uint32_t data[N];

static void insertion_sort(uint32_t *a, int n)
{
    for (int i = 1; i < n; i++) {
        uint32_t v = a[i];
        int j = i - 1;

        while (j >= 0 && a[j] > v) {
            a[j + 1] = a[j];
            j--;
        }
        a[j + 1] = v;
    }
}

static void swap(uint32_t *a, uint32_t *b)
{
    uint32_t t = *a;

    *a = *b;
    *b = t;
}

static void quick_sort(uint32_t *a, int n)
{
    while (n > 16) {
        int mid = n / 2, i = 0, j = n - 1;
        uint32_t pivot;

        if (a[mid] < a[0]) {
            swap(&a[mid], &a[0]);
        }
        if (a[n - 1] < a[0]) {
            swap(&a[n - 1], &a[0]);
        }
        if (a[n - 1] < a[mid]) {
            swap(&a[n - 1], &a[mid]);
        }
        pivot = a[mid];
        while (i <= j) {
            while (a[i] < pivot) {
                i++;
            }
            while (a[j] > pivot) {
                j--;
            }
            if (i <= j) {
                swap(&a[i++], &a[j--]);
            }
        }
        /* recurse into the smaller part, loop on the larger */
        if (j + 1 < n - i) {
            quick_sort(a, j + 1);
            a += i;
            n -= i;
        } else {
            quick_sort(a + i, n - i);
            n = j + 1;
        }
    }
    insertion_sort(a, n);
}

int main(void)
{
    uint32_t seed = 0xdeadbeef;
    uint64_t start = bench_instret(), sum = 0;

    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < N; i++) {
            /* every 8th round: many duplicates */
            data[i] = bench_rand(&seed) % (r % 8 ? 0xffffffffu : 64);
        }
        quick_sort(data, N);
        for (int i = 1; i < N; i++) {
            if (data[i - 1] > data[i]) {
                bench_puts("sort: not sorted\n");
                return 1;
            }
        }
        sum = sum * 31 + data[r % N] + data[N / 2];
    }
    bench_report("sort", bench_instret() - start, sum);
    return 0;
}
