/* Command-line style option strings and number parsing.
 *
 * keyval_parse() splits "driver,id=x,size=512M,label=a,,b" into ordered
 * key/value pairs:
 *   - elements are separated by ','; ",," inside a value is a literal ','
 *     (keys cannot contain ',');
 *   - an element "key=value" gives that pair (the value may be empty);
 *   - the first element may lack '=' when an implied key is given: it is
 *     then the value of that key ("virtio-blk,..." means driver=virtio-blk);
 *   - a bare "help" element anywhere becomes help=on, so "-device foo,help"
 *     works; any other element without '=' is an error;
 *   - keys are [A-Za-z0-9_.-]+; empty elements (",,," at a separator, a
 *     trailing ',') are errors;
 *   - a key may repeat (some options want lists); keyval_get() returns the
 *     last value, keyval_count() tells how often a key appears.
 *
 * The parse_* helpers accept the whole string or fail with a message that
 * quotes it; they never accept leading spaces, signs where none are
 * allowed, or trailing garbage.
 */
#ifndef UTIL_KEYVAL_H
#define UTIL_KEYVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "util/error.h"

typedef struct KeyValPair {
    char *key;
    char *value;
} KeyValPair;

typedef struct KeyVal {
    size_t count;
    KeyValPair *pairs;          /* count entries, in input order */
} KeyVal;

/* Returns a new list (free with keyval_free), or NULL with *errp set.
 * implied_key may be NULL. */
KeyVal *keyval_parse(const char *str, const char *implied_key, Error **errp);
/* The last value given for key, or NULL. */
const char *keyval_get(const KeyVal *kv, const char *key);
size_t keyval_count(const KeyVal *kv, const char *key);
void keyval_free(KeyVal *kv);

/* Byte sizes: a decimal or 0x-hex integer, or a decimal with a fraction
 * ("1.5G"), with an optional binary suffix B, K, M, G, T, P or E (either
 * case; K = 1024).  A fraction needs a suffix and must come out as a whole
 * number of bytes.  Errors: empty, garbage, negative, unknown suffix,
 * overflow of 64 bits. */
bool parse_size(const char *str, uint64_t *out, Error **errp);
/* Decimal or 0x-hex integers, no suffix. */
bool parse_uint64(const char *str, uint64_t *out, Error **errp);
bool parse_int64(const char *str, int64_t *out, Error **errp);
/* on/off, yes/no, true/false. */
bool parse_bool(const char *str, bool *out, Error **errp);

#endif
