/* Option-string splitter and strict number parsers (see keyval.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "util/keyval.h"

static void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size);
    if (!p) {
        abort();
    }
    return p;
}

static bool key_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

static void keyval_append(KeyVal *kv, char *key, char *value)
{
    kv->pairs = xrealloc(kv->pairs, (kv->count + 1) * sizeof(*kv->pairs));
    kv->pairs[kv->count].key = key;
    kv->pairs[kv->count].value = value;
    kv->count++;
}

/* Copies the value starting at *p up to the next single ',' (or the end),
 * turning ",," into ','.  Leaves *p on the separator or the terminator. */
static char *scan_value(const char **p)
{
    const char *s = *p;
    char *out = xrealloc(NULL, strlen(s) + 1);
    size_t n = 0;

    for (;;) {
        if (*s == ',' && s[1] == ',') {
            out[n++] = ',';
            s += 2;
        } else if (*s == ',' || *s == '\0') {
            break;
        } else {
            out[n++] = *s++;
        }
    }
    out[n] = '\0';
    *p = s;
    return out;
}

/* Length of the key at s, which ends at '=' , ',' or the end. */
static size_t key_length(const char *s)
{
    size_t n = 0;

    while (s[n] && s[n] != '=' && s[n] != ',') {
        n++;
    }
    return n;
}

static bool parse_element(KeyVal *kv, const char *str, const char **p,
                          bool first, const char *implied_key, Error **errp)
{
    const char *s = *p;
    size_t klen = key_length(s);

    if (s[klen] != '=') {
        /* No '=' before the next separator: implied key or "help". */
        if (first && implied_key) {
            char *value = scan_value(p);

            if (!*value) {
                free(value);
                error_setg(errp, "Parameter '%s' is missing its value",
                           implied_key);
                return false;
            }
            keyval_append(kv, strdup(implied_key), value);
            return true;
        }
        if (klen == 4 && !strncmp(s, "help", 4)) {
            keyval_append(kv, strdup("help"), strdup("on"));
            *p = s + klen;
            return true;
        }
        if (klen == 0) {
            error_setg(errp, "Empty parameter in '%s'", str);
        } else {
            error_setg(errp, "Expected '=' after parameter '%.*s'",
                       (int)klen, s);
        }
        return false;
    }
    if (klen == 0) {
        error_setg(errp, "Parameter name missing before '='");
        return false;
    }
    for (size_t i = 0; i < klen; i++) {
        if (!key_char_ok(s[i])) {
            error_setg(errp, "Invalid parameter name '%.*s'", (int)klen, s);
            return false;
        }
    }
    *p = s + klen + 1;
    keyval_append(kv, strndup(s, klen), scan_value(p));
    return true;
}

KeyVal *keyval_parse(const char *str, const char *implied_key, Error **errp)
{
    KeyVal *kv = calloc(1, sizeof(*kv));
    const char *p = str;

    if (!kv) {
        abort();
    }
    if (!*p) {
        return kv;
    }
    for (bool first = true;; first = false) {
        if (!parse_element(kv, str, &p, first, implied_key, errp)) {
            keyval_free(kv);
            return NULL;
        }
        if (!*p) {
            return kv;
        }
        p++;            /* the separator */
        if (!*p) {
            error_setg(errp, "Trailing ',' in '%s'", str);
            keyval_free(kv);
            return NULL;
        }
    }
}

const char *keyval_get(const KeyVal *kv, const char *key)
{
    for (size_t i = kv->count; i-- > 0;) {
        if (!strcmp(kv->pairs[i].key, key)) {
            return kv->pairs[i].value;
        }
    }
    return NULL;
}

size_t keyval_count(const KeyVal *kv, const char *key)
{
    size_t n = 0;

    for (size_t i = 0; i < kv->count; i++) {
        n += !strcmp(kv->pairs[i].key, key);
    }
    return n;
}

void keyval_free(KeyVal *kv)
{
    if (!kv) {
        return;
    }
    for (size_t i = 0; i < kv->count; i++) {
        free(kv->pairs[i].key);
        free(kv->pairs[i].value);
    }
    free(kv->pairs);
    free(kv);
}

/* ---- numbers */

static int digit_value(char c, unsigned base)
{
    int v;

    if (c >= '0' && c <= '9') {
        v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
        v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
        v = c - 'A' + 10;
    } else {
        return -1;
    }
    return v < (int)base ? v : -1;
}

/* Reads digits at *p.  Returns the number of digits read; *overflow is set
 * if the value does not fit 64 bits. */
static unsigned scan_digits(const char **p, unsigned base, uint64_t *out,
                            bool *overflow)
{
    const char *s = *p;
    uint64_t v = 0;
    unsigned n = 0;
    int d;

    *overflow = false;
    while ((d = digit_value(*s, base)) >= 0) {
        if (__builtin_mul_overflow(v, base, &v) ||
            __builtin_add_overflow(v, (uint64_t)d, &v)) {
            *overflow = true;
        }
        s++;
        n++;
    }
    *p = s;
    *out = v;
    return n;
}

/* An unsigned integer: decimal, or hex after "0x".  Stops at the first
 * character that is not a digit. */
static bool scan_uint(const char **p, uint64_t *out, bool *overflow)
{
    const char *s = *p;
    unsigned base = 10;

    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
        digit_value(s[2], 16) >= 0) {
        base = 16;
        s += 2;
    }
    if (!scan_digits(&s, base, out, overflow)) {
        return false;
    }
    *p = s;
    return true;
}

bool parse_uint64(const char *str, uint64_t *out, Error **errp)
{
    const char *p = str;
    bool overflow;
    uint64_t v;

    if (!scan_uint(&p, &v, &overflow) || *p) {
        error_setg(errp, "'%s' is not an unsigned integer", str);
        return false;
    }
    if (overflow) {
        error_setg(errp, "'%s' is too large (more than 64 bits)", str);
        return false;
    }
    *out = v;
    return true;
}

bool parse_int64(const char *str, int64_t *out, Error **errp)
{
    const char *p = str;
    bool neg = false, overflow;
    uint64_t v;

    if (*p == '-') {
        neg = true;
        p++;
    }
    if (!scan_uint(&p, &v, &overflow) || *p) {
        error_setg(errp, "'%s' is not an integer", str);
        return false;
    }
    if (overflow || v > (uint64_t)INT64_MAX + neg) {
        error_setg(errp, "'%s' is out of the 64-bit signed range", str);
        return false;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

bool parse_bool(const char *str, bool *out, Error **errp)
{
    static const char *const yes[] = { "on", "yes", "true" };
    static const char *const no[] = { "off", "no", "false" };

    for (size_t i = 0; i < 3; i++) {
        if (!strcmp(str, yes[i])) {
            *out = true;
            return true;
        }
        if (!strcmp(str, no[i])) {
            *out = false;
            return true;
        }
    }
    error_setg(errp, "'%s' is not a boolean (use on/off, yes/no or "
               "true/false)", str);
    return false;
}

static uint64_t suffix_multiplier(char c)
{
    switch (tolower((unsigned char)c)) {
    case 'b': return 1;
    case 'k': return 1ULL << 10;
    case 'm': return 1ULL << 20;
    case 'g': return 1ULL << 30;
    case 't': return 1ULL << 40;
    case 'p': return 1ULL << 50;
    case 'e': return 1ULL << 60;
    default:  return 0;
    }
}

/* frac holds the ndigits decimal digits after the point; adds
 * 0.frac * mult to *v, which must be a whole number of bytes. */
static bool add_fraction(uint64_t *v, uint64_t frac, unsigned ndigits,
                         uint64_t mult, const char *str, Error **errp)
{
    unsigned __int128 scaled = (unsigned __int128)frac * mult;
    unsigned __int128 div = 1;

    for (unsigned i = 0; i < ndigits; i++) {
        div *= 10;
    }
    if (scaled % div) {
        error_setg(errp, "invalid size '%s': not a whole number of bytes",
                   str);
        return false;
    }
    if (__builtin_add_overflow(*v, (uint64_t)(scaled / div), v)) {
        error_setg(errp, "invalid size '%s': more than 64 bits", str);
        return false;
    }
    return true;
}

bool parse_size(const char *str, uint64_t *out, Error **errp)
{
    const char *p = str;
    uint64_t v, frac = 0, mult = 1;
    unsigned ndigits = 0;
    bool hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
    bool overflow, frac_overflow;

    if (!scan_uint(&p, &v, &overflow)) {
        error_setg(errp, "invalid size '%s': expected a number", str);
        return false;
    }
    if (*p == '.' && !hex) {
        p++;
        /* 18 digits keep frac * 2^60 within 128 bits */
        ndigits = scan_digits(&p, 10, &frac, &frac_overflow);
        if (!ndigits || ndigits > 18 || frac_overflow) {
            error_setg(errp, "invalid size '%s': bad fraction", str);
            return false;
        }
    }
    if (*p) {
        mult = suffix_multiplier(*p);
        if (!mult || p[1]) {
            error_setg(errp, "invalid size '%s': unknown suffix '%s' (use "
                       "B, K, M, G, T, P or E)", str, p);
            return false;
        }
    }
    if (ndigits && mult == 1) {
        error_setg(errp, "invalid size '%s': a fraction needs a K, M, G, "
                   "T, P or E suffix", str);
        return false;
    }
    if (overflow || __builtin_mul_overflow(v, mult, &v)) {
        error_setg(errp, "invalid size '%s': more than 64 bits", str);
        return false;
    }
    if (ndigits && !add_fraction(&v, frac, ndigits, mult, str, errp)) {
        return false;
    }
    *out = v;
    return true;
}
