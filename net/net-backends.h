/* Private to net/: the constructors net_netdev_add() dispatches to.  Each
 * takes the parsed -netdev option (the keys "type" and "id" are checked
 * already), registers the backend and returns true, or sets *errp. */
#ifndef NET_NET_BACKENDS_H
#define NET_NET_BACKENDS_H

#include <stdbool.h>

#include "util/error.h"
#include "util/keyval.h"

bool net_slirp_create(const KeyVal *kv, const char *id, Error **errp);
bool net_tap_create(const KeyVal *kv, const char *id, Error **errp);

#endif
