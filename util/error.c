#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

struct Error {
    char *msg;
};

static char *vformat(const char *fmt, va_list ap)
{
    char *s;

    if (vasprintf(&s, fmt, ap) < 0) {
        abort();
    }
    return s;
}

static void error_set_msg(Error **errp, char *msg)
{
    Error *err;

    if (!errp || *errp) {
        free(msg);
        return;
    }
    err = malloc(sizeof(*err));
    if (!err) {
        abort();
    }
    err->msg = msg;
    *errp = err;
}

void error_setg(Error **errp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_set_msg(errp, vformat(fmt, ap));
    va_end(ap);
}

void error_setg_errno(Error **errp, int errnum, const char *fmt, ...)
{
    va_list ap;
    char *base, *full;

    va_start(ap, fmt);
    base = vformat(fmt, ap);
    va_end(ap);
    if (asprintf(&full, "%s: %s", base, strerror(errnum)) < 0) {
        abort();
    }
    free(base);
    error_set_msg(errp, full);
}

void error_propagate(Error **dst, Error *src)
{
    if (!src) {
        return;
    }
    if (dst && !*dst) {
        *dst = src;
    } else {
        error_free(src);
    }
}

const char *error_get_pretty(const Error *err)
{
    return err->msg;
}

void error_free(Error *err)
{
    if (err) {
        free(err->msg);
        free(err);
    }
}

void error_report_err(Error *err)
{
    error_report("%s", err->msg);
    error_free(err);
}

static void report(const char *prefix, const char *fmt, va_list ap)
{
    char *msg = vformat(fmt, ap);

    fprintf(stderr, "weft: %s%s\n", prefix, msg);
    free(msg);
}

void error_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report("", fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report("warning: ", fmt, ap);
    va_end(ap);
}
