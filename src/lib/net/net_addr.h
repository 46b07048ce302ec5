/* IPv4 subnets and addresses of keep's networks (pure). */
#ifndef KEEP_NET_ADDR_H
#define KEEP_NET_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct keep_subnet {
  uint32_t net; /* host order, host bits zero */
  unsigned prefix;
};

/* "10.1.2.0/24": prefix 8 to 29 (room for a gateway and containers), host
 * bits zero. */
int keep_subnet_parse(const char *text, struct keep_subnet *out, keep_error **err);
bool keep_subnet_overlap(const struct keep_subnet *a, const struct keep_subnet *b);
bool keep_subnet_contains(const struct keep_subnet *s, uint32_t addr);
/* Address number `host` of the subnet (1: the gateway). */
uint32_t keep_subnet_host(const struct keep_subnet *s, uint32_t host);
/* The last usable host number (the one before broadcast). */
uint32_t keep_subnet_last_host(const struct keep_subnet *s);
/* Formatting, into a caller's buffer of at least 19 bytes. */
const char *keep_ip4_str(uint32_t addr, char *buf);
const char *keep_subnet_str(const struct keep_subnet *s, char *buf);
/* A container's MAC, from its address: locally administered, unicast. */
void keep_mac_of(uint32_t addr, uint8_t mac[6]);
const char *keep_mac_str(const uint8_t mac[6], char *buf);
/* A network or alias name: [A-Za-z0-9][A-Za-z0-9_.-]{0,62}. */
bool keep_net_name_valid(const char *name);

#endif
