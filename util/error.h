/* Error objects handed back to callers (QEMU's Error **errp habit), and
 * one-line reports for the user. */
#ifndef UTIL_ERROR_H
#define UTIL_ERROR_H

#include <stdbool.h>
#include "util/compiler.h"

typedef struct Error Error;

/* Sets *errp to a new error if errp is non-NULL and *errp is NULL; a NULL
 * errp drops the error.  The first error set wins. */
void error_setg(Error **errp, const char *fmt, ...) WEFT_PRINTF(2, 3);
/* Like error_setg, with ": strerror(errnum)" appended. */
void error_setg_errno(Error **errp, int errnum, const char *fmt, ...)
    WEFT_PRINTF(3, 4);
/* Moves src into *dst (or frees it if dst is NULL or already set). */
void error_propagate(Error **dst, Error *src);
const char *error_get_pretty(const Error *err);
void error_free(Error *err);
/* Prints "weft: MESSAGE" on stderr and frees err. */
void error_report_err(Error *err);

/* "weft: MESSAGE" on stderr, one line. */
void error_report(const char *fmt, ...) WEFT_PRINTF(1, 2);
void warn_report(const char *fmt, ...) WEFT_PRINTF(1, 2);

#endif
