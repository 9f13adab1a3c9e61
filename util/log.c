#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/log.h"

uint32_t log_mask;
static FILE *log_file;   /* NULL means stderr; written under flockfile() */

static const struct {
    const char *name;
    uint32_t mask;
    const char *help;
} log_items[] = {
    { "in_asm", LOG_IN_ASM, "show guest code as it is translated" },
    { "op", LOG_OP, "show the translator's IR" },
    { "out_asm", LOG_OUT_ASM, "show generated host code" },
    { "int", LOG_INT, "show traps and interrupts" },
    { "exec", LOG_EXEC, "show each translation block executed" },
    { "mtree", LOG_MTREE, "print the memory tree after machine set-up" },
    { "guest_errors", LOG_GUEST_ERROR, "log guest misuse of devices" },
    { "unimp", LOG_UNIMP, "log unimplemented device features" },
    { "stats", LOG_STATS, "print counters at exit" },
};

void log_print_help(void)
{
    printf("Log items (comma separated):\n");
    for (size_t i = 0; i < ARRAY_SIZE(log_items); i++) {
        printf("%-13s %s\n", log_items[i].name, log_items[i].help);
    }
}

bool log_parse_items(const char *str, uint32_t *mask, Error **errp)
{
    const char *p = str;

    *mask = 0;
    while (*p) {
        size_t len = strcspn(p, ",");
        size_t i;

        for (i = 0; i < ARRAY_SIZE(log_items); i++) {
            if (strlen(log_items[i].name) == len &&
                !strncmp(log_items[i].name, p, len)) {
                *mask |= log_items[i].mask;
                break;
            }
        }
        if (i == ARRAY_SIZE(log_items)) {
            error_setg(errp, "-d: unknown log item '%.*s' (try -d help)",
                       (int)len, p);
            return false;
        }
        p += len;
        if (*p == ',') {
            p++;
        }
    }
    return true;
}

bool log_set_file(const char *path, Error **errp)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        error_setg_errno(errp, errno, "-D: cannot open '%s'", path);
        return false;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    log_file = f;
    return true;
}

void log_printf(const char *fmt, ...)
{
    FILE *f = log_file ? log_file : stderr;
    va_list ap;

    va_start(ap, fmt);
    flockfile(f);
    vfprintf(f, fmt, ap);
    funlockfile(f);
    va_end(ap);
}

void log_close(void)
{
    if (log_file) {
        fclose(log_file);
        log_file = NULL;
    }
}
