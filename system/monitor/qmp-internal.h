/* Private to system/monitor/: what the server (qmp.c) and the commands
 * (qmp-commands.c) share.  Nothing outside this directory includes it. */
#ifndef SYSTEM_MONITOR_QMP_INTERNAL_H
#define SYSTEM_MONITOR_QMP_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

#include "util/error.h"

/* QEMU's error classes ("class" member of an error reply). */
typedef enum QmpErrorClass {
    QMP_ERROR_GENERIC,
    QMP_ERROR_COMMAND_NOT_FOUND,
    QMP_ERROR_DEVICE_NOT_FOUND,
} QmpErrorClass;

const char *qmp_error_class_name(QmpErrorClass cls);

typedef enum QmpArgType {
    QMP_ARG_STR,
    QMP_ARG_BOOL,
    QMP_ARG_INT,
    QMP_ARG_ARRAY,
} QmpArgType;

typedef struct QmpArgSpec {
    const char *name;
    QmpArgType type;
    bool optional;
} QmpArgSpec;

/* Returns a new reference to the "return" value, or NULL with *errp set
 * (and *cls too unless the class is GenericError).  args is the
 * "arguments" object (an empty one when absent), already checked against
 * the command's spec.  Runs in the main thread, with the BQL if the
 * command asks for it. */
typedef json_t *QmpCommandFn(json_t *args, QmpErrorClass *cls,
                             Error **errp);

typedef struct QmpCommand {
    const char *name;
    QmpCommandFn *fn;
    const QmpArgSpec *args;     /* ends with a NULL name; NULL: none */
    bool extra_args;            /* device_add: other members are props */
    bool needs_bql;
} QmpCommand;

/* NULL if there is no such command.  qmp_capabilities is handled by the
 * server itself. */
const QmpCommand *qmp_find_command(const char *name);
/* {"qemu": {"micro", "minor", "major"}, "package"}: a new reference. */
json_t *qmp_version_info(void);
/* json_string() that never fails: bytes that are not valid UTF-8 become
 * '?'.  A new reference. */
json_t *qmp_string(const char *s);

/* Sends {"timestamp", "event": name, "data"} to every client that
 * finished capability negotiation.  data is stolen (NULL: no data
 * member).  Any thread, never blocks; BQL before the server's lock. */
void qmp_event_emit(const char *name, json_t *data);

/* BQL, once: hooks the run-state and DEVICE_DELETED events. */
void qmp_commands_init(void);

#endif
