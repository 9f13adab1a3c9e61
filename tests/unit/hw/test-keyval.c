/* util/keyval: the option splitter and the strict number parsers. */
#include <string.h>

#include "test.h"
#include "util/keyval.h"

static KeyVal *parse_ok(const char *str, const char *implied)
{
    Error *err = NULL;
    KeyVal *kv = keyval_parse(str, implied, &err);

    if (!kv) {
        fprintf(stderr, "keyval_parse(\"%s\"): %s\n", str,
                error_get_pretty(err));
    }
    CHECK(kv && !err);
    return kv;
}

/* Checks that parsing fails with a message containing want. */
static void parse_fails(const char *str, const char *implied,
                        const char *want)
{
    Error *err = NULL;
    KeyVal *kv = keyval_parse(str, implied, &err);

    CHECK(!kv && err);
    if (!strstr(error_get_pretty(err), want)) {
        fprintf(stderr, "\"%s\": got \"%s\", want \"%s\"\n", str,
                error_get_pretty(err), want);
        CHECK(0);
    }
    error_free(err);
}

static void check_pair(const KeyVal *kv, size_t i, const char *k,
                       const char *v)
{
    CHECK(i < kv->count);
    CHECK(!strcmp(kv->pairs[i].key, k));
    CHECK(!strcmp(kv->pairs[i].value, v));
}

static void test_keyval_split(void)
{
    KeyVal *kv = parse_ok("virtio-blk,id=d0,drive=hd,,0,label=", "driver");

    CHECK_EQ(kv->count, 4);
    check_pair(kv, 0, "driver", "virtio-blk");
    check_pair(kv, 1, "id", "d0");
    check_pair(kv, 2, "drive", "hd,0");      /* ",," is a literal ',' */
    check_pair(kv, 3, "label", "");
    CHECK(!strcmp(keyval_get(kv, "drive"), "hd,0"));
    CHECK(!keyval_get(kv, "nope"));
    keyval_free(kv);

    kv = parse_ok("", "driver");
    CHECK_EQ(kv->count, 0);
    keyval_free(kv);

    /* a first element with '=' is a normal pair even with an implied key */
    kv = parse_ok("driver=e1000,x=a=b", "driver");
    check_pair(kv, 0, "driver", "e1000");
    check_pair(kv, 1, "x", "a=b");
    keyval_free(kv);

    /* repeated keys are kept in order; get returns the last */
    kv = parse_ok("h=1,h=2,k.x-y_z=3", NULL);
    CHECK_EQ(keyval_count(kv, "h"), 2);
    CHECK(!strcmp(keyval_get(kv, "h"), "2"));
    check_pair(kv, 2, "k.x-y_z", "3");
    keyval_free(kv);

    /* value ending in an escaped comma */
    kv = parse_ok("a=b,,", NULL);
    check_pair(kv, 0, "a", "b,");
    keyval_free(kv);

    kv = parse_ok("foo,help", "driver");
    check_pair(kv, 1, "help", "on");
    keyval_free(kv);
}

static void test_keyval_errors(void)
{
    parse_fails("foo", NULL, "Expected '=' after parameter 'foo'");
    parse_fails("a=1,b", "driver", "Expected '=' after parameter 'b'");
    parse_fails("=x", NULL, "Parameter name missing");
    parse_fails("a=1,", NULL, "Trailing ','");
    parse_fails("a=1,,,", NULL, "Trailing ','");
    parse_fails(",a=1", NULL, "Empty parameter");
    parse_fails("a b=1", NULL, "Invalid parameter name 'a b'");
    parse_fails(",id=x", "driver", "Parameter 'driver' is missing its value");
}

static uint64_t size_ok(const char *s)
{
    Error *err = NULL;
    uint64_t v = 12345;

    if (!parse_size(s, &v, &err)) {
        fprintf(stderr, "parse_size(\"%s\"): %s\n", s, error_get_pretty(err));
        CHECK(0);
    }
    return v;
}

static void size_fails(const char *s, const char *want)
{
    Error *err = NULL;
    uint64_t v = 777;

    CHECK(!parse_size(s, &v, &err));
    CHECK_EQ(v, 777);                      /* untouched on failure */
    if (!strstr(error_get_pretty(err), want)) {
        fprintf(stderr, "\"%s\": got \"%s\", want \"%s\"\n", s,
                error_get_pretty(err), want);
        CHECK(0);
    }
    error_free(err);
}

static void test_parse_size(void)
{
    CHECK_EQ(size_ok("0"), 0);
    CHECK_EQ(size_ok("512"), 512);
    CHECK_EQ(size_ok("1b"), 1);
    CHECK_EQ(size_ok("1k"), 1024);
    CHECK_EQ(size_ok("4K"), 4096);
    CHECK_EQ(size_ok("512M"), 512ULL << 20);
    CHECK_EQ(size_ok("1G"), 1ULL << 30);
    CHECK_EQ(size_ok("1.5G"), 3ULL << 29);
    CHECK_EQ(size_ok("0.5K"), 512);
    CHECK_EQ(size_ok("2T"), 2ULL << 40);
    CHECK_EQ(size_ok("1P"), 1ULL << 50);
    CHECK_EQ(size_ok("15E"), 15ULL << 60);
    CHECK_EQ(size_ok("0x1000"), 0x1000);
    CHECK_EQ(size_ok("0x10M"), 16ULL << 20);
    CHECK_EQ(size_ok("18446744073709551615"), UINT64_MAX);

    size_fails("", "expected a number");
    size_fails("M", "expected a number");
    size_fails("-1", "expected a number");
    size_fails(" 1", "expected a number");
    size_fails("12Q", "unknown suffix 'Q'");
    size_fails("1K2", "unknown suffix 'K2'");
    size_fails("1KiB", "unknown suffix");
    size_fails("1.5", "needs a K, M, G");
    size_fails("1.", "bad fraction");
    size_fails("0.3K", "not a whole number of bytes");
    size_fails("16E", "more than 64 bits");
    size_fails("18446744073709551616", "more than 64 bits");
    size_fails("99999999999999999999999", "more than 64 bits");
    size_fails("17179869184G", "more than 64 bits");
    size_fails("0x", "unknown suffix 'x'");
}

static void test_parse_numbers(void)
{
    Error *err = NULL;
    uint64_t u;
    int64_t i;
    bool b;

    CHECK(parse_uint64("0", &u, NULL) && u == 0);
    CHECK(parse_uint64("0xffffffffffffffff", &u, NULL) && u == UINT64_MAX);
    CHECK(!parse_uint64("0x10000000000000000", &u, NULL));
    CHECK(!parse_uint64("-1", &u, NULL));
    CHECK(!parse_uint64("1 ", &u, NULL));
    CHECK(!parse_uint64("", &u, NULL));
    CHECK(!parse_uint64("1k", &u, &err));
    CHECK(strstr(error_get_pretty(err), "'1k' is not an unsigned integer"));
    error_free(err);

    CHECK(parse_int64("-9223372036854775808", &i, NULL) && i == INT64_MIN);
    CHECK(parse_int64("9223372036854775807", &i, NULL) && i == INT64_MAX);
    CHECK(parse_int64("-0x10", &i, NULL) && i == -16);
    CHECK(!parse_int64("9223372036854775808", &i, NULL));
    CHECK(!parse_int64("-9223372036854775809", &i, NULL));
    CHECK(!parse_int64("--1", &i, NULL));
    CHECK(!parse_int64("-", &i, NULL));

    CHECK(parse_bool("on", &b, NULL) && b);
    CHECK(parse_bool("yes", &b, NULL) && b);
    CHECK(parse_bool("true", &b, NULL) && b);
    CHECK(parse_bool("off", &b, NULL) && !b);
    CHECK(parse_bool("no", &b, NULL) && !b);
    CHECK(parse_bool("false", &b, NULL) && !b);
    CHECK(!parse_bool("1", &b, NULL));
    CHECK(!parse_bool("On", &b, NULL));
}

int main(void)
{
    RUN(test_keyval_split);
    RUN(test_keyval_errors);
    RUN(test_parse_size);
    RUN(test_parse_numbers);
    return 0;
}
