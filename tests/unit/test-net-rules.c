/* keep's networks, the pure parts: subnets and addresses, and the nftables
 * ruleset: what it drops, and that with no network it removes keep's
 * tables and nothing else. */
#include <stdio.h>
#include <string.h>

#include "net_addr.h"
#include "nft_rules.h"
#include "tap.h"
#include "util.h"

static void subnet_good(const char *text, const char *want)
{
  struct keep_subnet s;
  char buf[20];
  keep_error *err = NULL;
  int r = keep_subnet_parse(text, &s, &err);
  tap_ok(r == 0 && strcmp(keep_subnet_str(&s, buf), want) == 0, "subnet `%s` -> %s", text,
         r == 0 ? buf : err->msg);
  keep_error_free(&err);
}

static void subnet_bad(const char *text, const char *why)
{
  struct keep_subnet s;
  keep_error *err = NULL;
  int r = keep_subnet_parse(text, &s, &err);
  tap_ok(r < 0 && err && strstr(err->msg, why) && !strchr(err->msg, '\n'), "subnet `%s` refused: %s", text,
         err ? err->msg : "(accepted)");
  keep_error_free(&err);
}

static int contains(const char *text, const char *line)
{
  return strstr(text, line) != NULL;
}

int main(void)
{
  subnet_good("10.213.0.0/24", "10.213.0.0/24");
  subnet_good("172.30.0.0/16", "172.30.0.0/16");
  subnet_good("192.168.7.8/29", "192.168.7.8/29");
  subnet_bad("10.213.0.1/24", "host bits are set (did you mean 10.213.0.0/24?)");
  subnet_bad("10.213.0.0/30", "prefix must be from 8 to 29");
  subnet_bad("10.0.0.0/7", "prefix must be from 8 to 29");
  subnet_bad("10.213.0.0", "not ADDRESS/PREFIX");
  subnet_bad("10.213.0.0/", "not ADDRESS/PREFIX");
  subnet_bad("10.213.0.0/24x", "not ADDRESS/PREFIX");
  subnet_bad("10.213.0/24", "not ADDRESS/PREFIX");
  subnet_bad("fd00::/64", "not ADDRESS/PREFIX");

  struct keep_subnet a = {0x0ad50000, 24}, b = {0x0ad50000, 16}, c = {0x0ad50100, 24};
  tap_ok(keep_subnet_overlap(&a, &b) && keep_subnet_overlap(&b, &c) && !keep_subnet_overlap(&a, &c),
         "overlap: /16 holds both /24s, which do not overlap");
  tap_ok(keep_subnet_contains(&a, 0x0ad500fe) && !keep_subnet_contains(&a, 0x0ad50100), "contains");
  tap_ok(keep_subnet_last_host(&a) == 254, "a /24 has hosts up to .254");
  uint8_t mac[6];
  char m[20];
  keep_mac_of(0x0ad50002, mac);
  tap_ok(strcmp(keep_mac_str(mac, m), "02:6b:0a:d5:00:02") == 0,
         "a container's MAC: local, unicast, from its address");
  tap_ok(keep_net_name_valid("app") && keep_net_name_valid("a.b_c-1") && !keep_net_name_valid("-x") &&
             !keep_net_name_valid("a/b") && !keep_net_name_valid("") && !keep_net_name_valid("a b"),
         "network names");

  char *none = keep_nft_ruleset(NULL, 0, NULL, 0, NULL);
  tap_ok(strcmp(none, "table inet keep {}\ndelete table inet keep\ntable bridge keep {}\ndelete table bridge "
                      "keep\n") == 0,
         "no network: keep's two tables removed, nothing else named");
  free(none);

  struct keep_nft_net nets[] = {{"kb-a", "10.213.0.0/24", false}, {"kb-b", "10.213.1.0/24", true}};
  struct keep_nft_port ports[] = {{"kv-1", "02:6b:0a:d5:00:02", "10.213.0.2"}};
  const char *blocked[] = {"192.0.2.1", NULL};
  char *r = keep_nft_ruleset(nets, 2, ports, 1, blocked);
  tap_ok(contains(r, "iifname { \"kb-a\", \"kb-b\" } drop\n }"),
         "the host is not reachable through a bridge");
  tap_ok(contains(r, "ip daddr 169.254.169.254 drop"), "the metadata address is dropped");
  tap_ok(contains(r, "ip daddr { 192.0.2.1 } drop"), "blocked host addresses are dropped");
  tap_ok(contains(r, "  iifname { \"kb-b\" } accept\n") && !contains(r, "{ \"kb-a\" } accept"),
         "only the egress network forwards out");
  tap_ok(contains(r, "ip saddr 10.213.1.0/24 oifname != \"kb-b\" masquerade") &&
             !contains(r, "10.213.0.0/24 oifname"),
         "NAT for the egress network alone");
  tap_ok(contains(r, "iifname \"kv-1\" ether saddr != 02:6b:0a:d5:00:02 drop") &&
             contains(r, "iifname \"kv-1\" ether type ip ip saddr != 10.213.0.2 drop") &&
             contains(r, "iifname \"kv-1\" ether type arp arp saddr ip != 10.213.0.2 drop") &&
             contains(r, "iifname \"kv-1\" ether type != { ip, arp } drop"),
         "a port passes only its own MAC, address, ARP, and IPv4/ARP");
  tap_ok(contains(r, "iifname \"kv-*\" iifname != { \"kv-1\" } drop"),
         "a keep port without rules passes nothing");
  tap_ok(contains(r, "flush table inet keep\nflush table bridge keep\n") && !contains(r, "delete table"),
         "the rules are replaced in one transaction, the hooked chains kept");
  free(r);
  return tap_done();
}
