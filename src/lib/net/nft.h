/* Loading keep's ruleset (nft_rules.h) through libnftables, in one
 * transaction: all of it or none of it. */
#ifndef KEEP_NFT_H
#define KEEP_NFT_H

#include "error.h"

int keep_nft_apply(const char *ruleset, keep_error **err);

#endif
