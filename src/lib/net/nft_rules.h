/* keep's packet filter, as nft text (pure: unit-tested and fuzzed apart from
 * the kernel).  Everything keep filters lives in two tables of its own,
 * `inet keep` and `bridge keep`, rewritten whole in one transaction each
 * time a network gains or loses a member: no other table is ever touched,
 * and no rule outlives the containers it was made for. */
#ifndef KEEP_NFT_RULES_H
#define KEEP_NFT_RULES_H

#include <stdbool.h>
#include <stddef.h>

struct keep_nft_net {
  const char *bridge; /* kb-… */
  const char *subnet; /* "10.213.0.0/24" */
  bool egress;        /* NAT out, never to the metadata address */
};

struct keep_nft_port {
  const char *veth; /* host side, kv-… */
  const char *mac;  /* "02:6b:0a:d5:00:02" */
  const char *ip;   /* "10.213.0.2" */
};

/* The whole ruleset: with no network, the commands that remove keep's tables
 * (and nothing else).  Bridge, veth and address strings must already be
 * checked (keep makes them). */
/* blocked: addresses no container may reach through a network (a normal
 * user's host addresses, which pasta would otherwise connect to); NULL:
 * none. */
char *keep_nft_ruleset(const struct keep_nft_net *nets, size_t n_nets, const struct keep_nft_port *ports,
                       size_t n_ports, const char *const *blocked);

#endif
