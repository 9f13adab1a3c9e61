/* Debug logging selected with -d and written to -D FILE (default stderr). */
#ifndef UTIL_LOG_H
#define UTIL_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include "util/compiler.h"
#include "util/error.h"

enum {
    LOG_IN_ASM  = 1u << 0,  /* guest code as translated */
    LOG_OP      = 1u << 1,  /* translator IR */
    LOG_OUT_ASM = 1u << 2,  /* host code */
    LOG_INT     = 1u << 3,  /* traps and interrupts */
    LOG_EXEC    = 1u << 4,  /* each translation block executed */
    LOG_MTREE   = 1u << 5,  /* memory tree after machine set-up */
    LOG_GUEST_ERROR = 1u << 6, /* guest misuse of devices */
    LOG_UNIMP   = 1u << 7,  /* unimplemented device features */
    LOG_STATS   = 1u << 8,  /* counters printed at exit */
};

extern uint32_t log_mask;

static inline bool log_enabled(uint32_t mask)
{
    return (log_mask & mask) != 0;
}

/* Parses "in_asm,int,..." into a mask; "help" lists the items. */
bool log_parse_items(const char *str, uint32_t *mask, Error **errp);
void log_print_help(void);
bool log_set_file(const char *path, Error **errp);
/* Thread-safe: each call writes whole lines. */
void log_printf(const char *fmt, ...) WEFT_PRINTF(1, 2);
#define log_mask_printf(mask, ...) do {        \
        if (unlikely(log_enabled(mask))) {     \
            log_printf(__VA_ARGS__);           \
        }                                      \
    } while (0)
void log_close(void);

#endif
