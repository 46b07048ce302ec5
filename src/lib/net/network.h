/* keep's networks: definitions in the caller's store (<store>/networks/NAME.json),
 * and, while containers use them, a bridge, keep's nftables tables and a
 * membership record per container under the state base
 * (<state>/networks/NAME/<id>).  A member whose keep is gone (its owner lock
 * is free: state.h) no longer counts, so a crash leaves nothing that the
 * next network operation or `keep gc` does not remove. */
#ifndef KEEP_NETWORK_H
#define KEEP_NETWORK_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct json_t;

/* keep network create: subnet NULL picks a free /24 in 10.213.0.0/16. */
int keep_network_create(const char *name, const char *subnet, bool egress, bool internal, struct json_t **out,
                        keep_error **err);
/* The definition (name, id, subnet, gateway, bridge, egress, internal, created). */
struct json_t *keep_network_load(const char *name, keep_error **err);
/* Every definition, sorted by name. */
struct json_t *keep_network_list(keep_error **err);
/* Refused while a live container is on it. */
int keep_network_remove(const char *state_base, const char *name, keep_error **err);
/* The live members of `name`: [{id, ip, mac, names}]. */
struct json_t *keep_network_members(const char *state_base, const char *name);

/* What keep run asks: networks by name, extra names, an address on the first. */
struct keep_net_attach_req {
  const char *const *networks;
  const char *const *aliases;
  const char *ip;
  const char *name; /* --name, resolvable too; NULL: none */
  unsigned first; /* the first interface's number (eth<first>): keep network connect adds to a running one */
  bool no_route;  /* it routes out already: no default route through these */
};
/* Checks the request before anything is made: networks exist, --ip fits. */
int keep_net_check(const struct keep_net_attach_req *q, keep_error **err);
/* The container's /etc/hosts, made empty before it starts, kept current
 * while it runs: <state>-hosts/<id>. */
int keep_net_hosts_prepare(const char *state_base, const char *id, char **path, keep_error **err);
/* Joins the container whose init is `pid` (a network namespace of its own)
 * to each network: bridge, veth pair, address, filter, names.  Root only. */
int keep_net_attach(const char *state_base, const char *id, const struct keep_net_attach_req *q, pid_t pid,
                    keep_error **err);
/* Is one of these networks made with --egress? */
bool keep_net_any_egress(const char *const *networks);
/* Its /etc/resolv.conf on an egress network: the host's nameservers but
 * loopback ones, <state>-hosts/<id>.resolv. */
int keep_net_resolv_prepare(const char *state_base, const char *id, char **path, keep_error **err);
/* A normal user's: the user namespace holding the user's networks (made
 * when there is none), to make a container's own in (holder.h). */
int keep_net_rootless_userns(const char *state_base, keep_error **err);
/* keep network connect: a running container (init `pid`) joins one more
 * network; disconnect: it leaves one. */
int keep_net_connect(const char *state_base, const char *id, const char *network, const char *name, pid_t pid,
                     keep_error **err);
int keep_net_disconnect(const char *state_base, const char *id, const char *network, keep_error **err);
/* The container is gone: its records, its names in others' hosts files, and
 * a network's bridge and rules with its last member. */
void keep_net_release(const char *state_base, const char *id);
/* Docker's NetworkSettings.Networks of a container: per network, its
 * IPAddress, IPPrefixLen, Gateway (egress only), MacAddress, Aliases. */
struct json_t *keep_net_of_container(const char *state_base, const char *id);
/* Forget members whose keep died; remove what no live member uses. */
int keep_net_gc(const char *state_base, keep_error **err);

#endif
