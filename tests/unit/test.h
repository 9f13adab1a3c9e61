/* A minimal unit-test harness: each test binary runs a list of cases,
 * prints one line per case, stops at the first failure with its place.
 * Exit status: 0 all passed, 1 a case failed, 77 skipped (Meson's code). */
#ifndef TESTS_UNIT_TEST_H
#define TESTS_UNIT_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond) do {                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n",                  \
                    __FILE__, __LINE__, #cond);                           \
            exit(1);                                                      \
        }                                                                 \
    } while (0)

#define CHECK_EQ(a, b) do {                                               \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);      \
        if (check_a_ != check_b_) {                                       \
            fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %s "           \
                    "(0x%" PRIx64 " != 0x%" PRIx64 ")\n", __FILE__,       \
                    __LINE__, #a, #b, check_a_, check_b_);                \
            exit(1);                                                      \
        }                                                                 \
    } while (0)

static inline void test_run(const char *name, void (*fn)(void))
{
    fn();
    printf("ok - %s\n", name);
    fflush(stdout);
}
#define RUN(fn) test_run(#fn, fn)

static inline void __attribute__((noreturn)) test_skip(const char *reason)
{
    printf("SKIP: %s\n", reason);
    fflush(stdout);
    exit(77);
}

#endif
