/* Capabilities: names from users, and dropping everything not asked for. */
#ifndef KEEP_CAPS_H
#define KEEP_CAPS_H

#include <stdint.h>

#include "error.h"

/* "NET_ADMIN", "CAP_NET_ADMIN", "net_admin", "ALL" (all bits the kernel has).
 * Unknown names are an error naming the capability. ORs into *mask. */
int keep_caps_parse(const char *name, uint64_t *mask, keep_error **err);
/* Comma-separated list of the above. */
int keep_caps_parse_list(const char *csv, uint64_t *mask, keep_error **err);
/* Name of bit n, e.g. "CAP_CHOWN"; NULL if unknown. Caller frees. */
char *keep_caps_name(int bit);

/* Drop every capability not in `keep` from the bounding set.  Needs
 * CAP_SETPCAP, so call before changing uid. */
int keep_caps_drop_bounding(uint64_t keep, keep_error **err);
/* Effective = permitted = keep; inheritable and ambient empty. */
int keep_caps_apply(uint64_t keep, keep_error **err);

#endif
