#include "net_addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

int keep_subnet_parse(const char *text, struct keep_subnet *out, keep_error **err)
{
  const char *slash = strchr(text, '/');
  char addr[INET_ADDRSTRLEN];
  struct in_addr a;
  char *end = NULL;
  if (slash == NULL || (size_t) (slash - text) >= sizeof(addr))
    return keep_fail(err, EINVAL, "subnet `%s`: not ADDRESS/PREFIX (10.1.2.0/24)", keep_q(text));
  memcpy(addr, text, (size_t) (slash - text));
  addr[slash - text] = '\0';
  errno = 0;
  unsigned long prefix = strtoul(slash + 1, &end, 10);
  if (inet_pton(AF_INET, addr, &a) != 1 || slash[1] < '0' || slash[1] > '9' || *end || errno)
    return keep_fail(err, EINVAL, "subnet `%s`: not ADDRESS/PREFIX (10.1.2.0/24)", keep_q(text));
  if (prefix < 8 || prefix > 29)
    return keep_fail(err, EINVAL, "subnet `%s`: the prefix must be from 8 to 29", keep_q(text));
  uint32_t n = ntohl(a.s_addr), mask = ~0u << (32 - prefix);
  if (n & ~mask)
    return keep_fail(err, EINVAL, "subnet `%s`: host bits are set (did you mean %s?)", keep_q(text),
                     keep_subnet_str(&(struct keep_subnet){n & mask, (unsigned) prefix}, (char[20]){0}));
  *out = (struct keep_subnet){n, (unsigned) prefix};
  return 0;
}

static uint32_t mask_of(unsigned prefix)
{
  return prefix == 0 ? 0 : ~0u << (32 - prefix);
}

bool keep_subnet_overlap(const struct keep_subnet *a, const struct keep_subnet *b)
{
  uint32_t m = mask_of(a->prefix < b->prefix ? a->prefix : b->prefix);
  return (a->net & m) == (b->net & m);
}

bool keep_subnet_contains(const struct keep_subnet *s, uint32_t addr)
{
  return (addr & mask_of(s->prefix)) == s->net;
}

uint32_t keep_subnet_host(const struct keep_subnet *s, uint32_t host)
{
  return s->net + host;
}

uint32_t keep_subnet_last_host(const struct keep_subnet *s)
{
  return ~mask_of(s->prefix) - 1;
}

const char *keep_ip4_str(uint32_t addr, char *buf)
{
  snprintf(buf, 19, "%u.%u.%u.%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255, addr & 255);
  return buf;
}

const char *keep_subnet_str(const struct keep_subnet *s, char *buf)
{
  /* At most 15 + 1 + 2 bytes: "255.255.255.255/32". */
  char a[20];
  keep_ip4_str(s->net, a);
  size_t n = strlen(a);
  memcpy(buf, a, n);
  snprintf(buf + n, 4, "/%u", s->prefix % 33);
  return buf;
}

void keep_mac_of(uint32_t addr, uint8_t mac[6])
{
  mac[0] = 0x02; /* locally administered, unicast */
  mac[1] = 0x6b;
  mac[2] = (uint8_t) (addr >> 24);
  mac[3] = (uint8_t) (addr >> 16);
  mac[4] = (uint8_t) (addr >> 8);
  mac[5] = (uint8_t) addr;
}

const char *keep_mac_str(const uint8_t mac[6], char *buf)
{
  snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return buf;
}

bool keep_net_name_valid(const char *name)
{
  return keep_name_valid(name, 63);
}
