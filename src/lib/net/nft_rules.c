#include "nft_rules.h"

#include <stdio.h>
#include <stdlib.h>

#include "util.h"

/* The metadata services of cloud hosts: credentials for the taking. */
#define METADATA_V4 "169.254.169.254"
#define METADATA_V6 "fd00:ec2::254"

static void set_of(FILE *f, const struct keep_nft_net *nets, size_t n, bool egress_only)
{
  fputs("{ ", f);
  bool first = true;
  for (size_t i = 0; i < n; i++) {
    if (egress_only && !nets[i].egress)
      continue;
    fprintf(f, "%s\"%s\"", first ? "" : ", ", nets[i].bridge);
    first = false;
  }
  fputs(" }", f);
}

static bool any_egress(const struct keep_nft_net *nets, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (nets[i].egress)
      return true;
  return false;
}

char *keep_nft_ruleset(const struct keep_nft_net *nets, size_t n_nets, const struct keep_nft_port *ports,
                       size_t n_ports, const char *const *blocked)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL)
    abort();
  if (n_nets == 0) {
    /* Declaring a table then deleting it works whether it existed or not. */
    fputs("table inet keep {}\ndelete table inet keep\ntable bridge keep {}\ndelete table bridge keep\n", f);
    fclose(f);
    return text;
  }
  /* The chains stay (declared again, as they are), their rules are
   * replaced: a chain hooked anew costs the kernel a grace period, a rule
   * does not.  All of it is one transaction. */
  fputs("table inet keep {\n"
        " chain input { type filter hook input priority filter - 1; policy accept; }\n"
        " chain forward { type filter hook forward priority filter - 1; policy accept; }\n"
        " chain postrouting { type nat hook postrouting priority srcnat - 1; policy accept; }\n"
        "}\n"
        "table bridge keep {\n"
        " chain prerouting { type filter hook prerouting priority filter - 1; policy accept; }\n"
        "}\n"
        "flush table inet keep\nflush table bridge keep\n",
        f);
  fputs("table inet keep {\n", f);
  /* The host is not on any network: nothing a container sends reaches the
   * host's own addresses through its bridge (the gateway forwards only). */
  fputs(" chain input {\n  iifname ", f);
  set_of(f, nets, n_nets, false);
  fputs(" drop\n }\n", f);
  fputs(" chain forward {\n", f);
  /* Bridged traffic reaches this hook only where br_netfilter is loaded:
   * within one network it is allowed, as it is without that module. */
  for (size_t i = 0; i < n_nets; i++)
    fprintf(f, "  iifname \"%s\" oifname \"%s\" accept\n", nets[i].bridge, nets[i].bridge);
  fputs("  iifname ", f);
  set_of(f, nets, n_nets, false);
  fputs(" ip daddr " METADATA_V4 " drop\n  iifname ", f);
  set_of(f, nets, n_nets, false);
  fputs(" ip6 daddr " METADATA_V6 " drop\n", f);
  if (blocked && blocked[0]) {
    fputs("  iifname ", f);
    set_of(f, nets, n_nets, false);
    fputs(" ip daddr { ", f);
    for (size_t i = 0; blocked[i]; i++)
      fprintf(f, "%s%s", i ? ", " : "", blocked[i]);
    fputs(" } drop\n", f);
  }
  /* Networks never reach one another, and nothing outside starts a
   * connection into one (published ports come in by another way). */
  fputs("  oifname ", f);
  set_of(f, nets, n_nets, false);
  fputs(" ct state established,related iifname != ", f);
  set_of(f, nets, n_nets, false);
  fputs(" accept\n  oifname ", f);
  set_of(f, nets, n_nets, false);
  fputs(" drop\n", f);
  if (any_egress(nets, n_nets)) {
    fputs("  iifname ", f);
    set_of(f, nets, n_nets, true);
    fputs(" accept\n", f);
  }
  fputs("  iifname ", f);
  set_of(f, nets, n_nets, false);
  fputs(" drop\n }\n", f);
  if (any_egress(nets, n_nets)) {
    fputs(" chain postrouting {\n", f);
    for (size_t i = 0; i < n_nets; i++)
      if (nets[i].egress)
        fprintf(f, "  ip saddr %s oifname != \"%s\" masquerade\n", nets[i].subnet, nets[i].bridge);
    fputs(" }\n", f);
  }
  fputs("}\n", f);

  /* Each container's port on its bridge: frames only from its own MAC, IPv4
   * only from its own address, ARP only about itself, and nothing but IPv4
   * and ARP (no raw Ethernet protocols, no VLAN tags, no IPv6 router
   * adverts): a container cannot pass for another or talk past the filter. */
  fputs("table bridge keep {\n chain prerouting {\n", f);
  /* A port of keep's with no rules of its own (a container on its way
   * out) passes nothing. */
  fputs("  iifname \"kv-*\"", f);
  if (n_ports) {
    fputs(" iifname != { ", f);
    for (size_t i = 0; i < n_ports; i++)
      fprintf(f, "%s\"%s\"", i ? ", " : "", ports[i].veth);
    fputs(" }", f);
  }
  fputs(" drop\n", f);
  for (size_t i = 0; i < n_ports; i++) {
    const struct keep_nft_port *p = &ports[i];
    fprintf(f, "  iifname \"%s\" ether saddr != %s drop\n", p->veth, p->mac);
    fprintf(f, "  iifname \"%s\" ether type != { ip, arp } drop\n", p->veth);
    fprintf(f, "  iifname \"%s\" ether type ip ip saddr != %s drop\n", p->veth, p->ip);
    fprintf(f, "  iifname \"%s\" ether type arp arp saddr ether != %s drop\n", p->veth, p->mac);
    fprintf(f, "  iifname \"%s\" ether type arp arp saddr ip != %s drop\n", p->veth, p->ip);
  }
  fputs(" }\n}\n", f);
  fclose(f);
  return text;
}
