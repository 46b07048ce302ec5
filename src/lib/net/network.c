#include "network.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "holder.h"
#include "net_addr.h"
#include "netlink.h"
#include "nft.h"
#include "nft_rules.h"
#include "state.h"
#include "util.h"

/* --- definitions, in the store --------------------------------------- */

static char *defs_dir(keep_error **err)
{
  /* Named once, by the caller as itself: in a normal user's network
   * namespace (holder.h) it is root, whose store is not the user's. */
  static char *store_cache;
  if (store_cache == NULL)
    store_cache = keep_store_base();
  const char *store = store_cache;
  if (store == NULL) {
    keep_fail(err, 0, "no store for networks: set XDG_DATA_HOME or HOME");
    return NULL;
  }
  char *dir = xasprintf("%s/networks", store);
  if (keep_mkdir_p(dir, 0700, err) < 0) {
    free(dir);
    return NULL;
  }
  return dir;
}

json_t *keep_network_load(const char *name, keep_error **err)
{
  if (!keep_net_name_valid(name)) {
    keep_fail(err, EINVAL, "network `%s`: not a valid name", keep_q(name));
    return NULL;
  }
  cleanup_free char *dir = defs_dir(err);
  if (dir == NULL)
    return NULL;
  cleanup_free char *file = xasprintf("%s/%s.json", dir, name);
  if (access(file, F_OK) < 0 && errno == ENOENT) {
    keep_fail(err, ENOENT, "network `%s` does not exist", keep_q(name));
    keep_error_hint(err, "create it with `keep network create %s`", keep_q(name));
    return NULL;
  }
  return keep_json_load_file_at(AT_FDCWD, file, 0, err);
}

static int compare_names(const void *a, const void *b)
{
  return strcmp(*(char *const *) a, *(char *const *) b);
}

json_t *keep_network_list(keep_error **err)
{
  cleanup_free char *dir = defs_dir(err);
  if (dir == NULL)
    return NULL;
  cleanup_dir DIR *d = opendir(dir);
  if (d == NULL) {
    keep_fail_errno(err, "open `%s`", dir);
    return NULL;
  }
  cleanup_strvb struct strv_builder names = {0};
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    size_t n = strlen(e->d_name);
    if (n > 5 && strcmp(e->d_name + n - 5, ".json") == 0)
      strvb_add(&names, e->d_name);
  }
  if (names.n)
    qsort(names.v, names.n, sizeof(char *), compare_names);
  json_t *list = json_array();
  for (size_t i = 0; i < names.n; i++) {
    json_t *def = keep_json_load_file_at(dirfd(d), names.v[i], 0, NULL);
    if (json_is_object(def))
      json_array_append_new(list, def);
    else
      json_decref(def);
  }
  return list;
}

static int def_subnet(json_t *def, struct keep_subnet *s)
{
  const char *t = json_string_value(json_object_get(def, "subnet"));
  return t ? keep_subnet_parse(t, s, NULL) : -1;
}

/* The host's own routes: a network must not hide a subnet the host reaches. */
static bool host_route_overlaps(const struct keep_subnet *s)
{
  cleanup_file FILE *f = fopen("/proc/net/route", "re");
  char line[256];
  if (f == NULL || fgets(line, sizeof(line), f) == NULL)
    return false;
  while (fgets(line, sizeof(line), f)) {
    char ifname[32];
    unsigned dest, gw, flags, refcnt, use, metric, mask;
    if (sscanf(line, "%31s %x %x %x %u %u %u %x", ifname, &dest, &gw, &flags, &refcnt, &use, &metric,
               &mask) != 8 ||
        mask == 0)
      continue;
    unsigned prefix = (unsigned) __builtin_popcount(mask);
    struct keep_subnet r = {ntohl(dest) & (prefix ? ~0u << (32 - prefix) : 0), prefix};
    if (keep_subnet_overlap(s, &r))
      return true;
  }
  return false;
}

static bool overlaps_defined(json_t *defs, const struct keep_subnet *s, const char **who)
{
  size_t i;
  json_t *d;
  json_array_foreach (defs, i, d) {
    struct keep_subnet o;
    if (def_subnet(d, &o) == 0 && keep_subnet_overlap(s, &o)) {
      *who = json_string_value(json_object_get(d, "name"));
      return true;
    }
  }
  return false;
}

int keep_network_create(const char *name, const char *subnet, bool egress, bool internal, json_t **out,
                        keep_error **err)
{
  if (!keep_net_name_valid(name))
    return keep_fail(err, EINVAL,
                     "network name `%s`: letters, digits, `_`, `.`, `-`, starting with a letter or digit, at "
                     "most 63",
                     keep_q(name));
  if (strcmp(name, "none") == 0 || strcmp(name, "host") == 0 || strcmp(name, "bridge") == 0)
    return keep_fail(err, EINVAL, "network name `%s` is reserved", name);
  if (egress && internal)
    return keep_fail(err, EINVAL, "--egress and --internal: an internal network never has egress");
  cleanup_free char *dir = defs_dir(err);
  if (dir == NULL)
    return -1;
  cleanup_close int lock = keep_dir_lock(dir, LOCK_EX, err);
  if (lock < 0)
    return -1;
  json_t *defs = keep_network_list(err);
  if (defs == NULL)
    return -1;
  struct keep_subnet s;
  const char *who = NULL;
  int ret = -1;
  char id[65], sub[20], gw[20];
  cleanup_free char *file = xasprintf("%s/%s.json", dir, name);
  cleanup_free char *bridge = NULL, *created = NULL, *text = NULL, *tmp = NULL;
  if (access(file, F_OK) == 0) {
    keep_fail(err, EEXIST, "network `%s` already exists", name);
    goto out;
  }
  if (subnet) {
    if (keep_subnet_parse(subnet, &s, err) < 0)
      goto out;
    if (overlaps_defined(defs, &s, &who)) {
      keep_fail(err, EEXIST, "subnet `%s` overlaps network `%s`", subnet, keep_q(who));
      goto out;
    }
  } else {
    bool found = false;
    for (uint32_t i = 0; i < 256 && !found; i++) {
      s = (struct keep_subnet){(10u << 24) | (213u << 16) | (i << 8), 24};
      found = !overlaps_defined(defs, &s, &who) && !host_route_overlaps(&s);
    }
    if (!found) {
      keep_fail(err, ENOSPC, "no free /24 left in 10.213.0.0/16: pass --subnet");
      goto out;
    }
  }
  if (random_hex(id, 64, err) < 0)
    goto out;
  bridge = xasprintf("kb-%.10s", id);
  created = keep_now_rfc3339();
  json_t *def = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:s}", "name", name, "id", id, "subnet",
                          keep_subnet_str(&s, sub), "gateway", keep_ip4_str(keep_subnet_host(&s, 1), gw),
                          "bridge", bridge, "egress", egress, "internal", internal, "created", created);
  text = json_dumps(def, JSON_INDENT(2));
  /* Written whole under another name, then linked: never half a file. */
  tmp = xasprintf("%s/.%s.tmp", dir, name);
  if (create_file_at(AT_FDCWD, tmp, text, 0600, err) < 0 ||
      (rename(tmp, file) < 0 && (unlink(tmp), 1) && keep_fail_errno(err, "rename to `%s`", file))) {
    json_decref(def);
    goto out;
  }
  if (out)
    *out = def;
  else
    json_decref(def);
  ret = 0;
out:
  json_decref(defs);
  return ret;
}

/* --- membership, under the state base --------------------------------- */

static char *rt_dir(const char *state_base)
{
  return xasprintf("%s/networks", state_base);
}

static int rt_lock(const char *state_base, keep_error **err)
{
  cleanup_free char *dir = rt_dir(state_base);
  if (mkdir(dir, 0700) < 0 && errno != EEXIST)
    return keep_fail_errno(err, "mkdir `%s`", dir);
  return keep_dir_lock(dir, LOCK_EX, err);
}

static json_t *load_member(const char *dir, const char *id)
{
  cleanup_free char *f = xasprintf("%s/%s", dir, id);
  return keep_json_load_file_at(AT_FDCWD, f, 0, NULL);
}

/* A member's record, and its port first: a container's network namespace
 * outlives its process for a while, and its port must pass nothing before
 * its rules go (its queued packets would leave unchecked).  A container
 * that is gone has its port set down (its namespace takes the pair with
 * it); one that stays (disconnect) has it deleted. */
static void drop_member(struct keep_nl *nl, const char *dir, const char *id, bool delete_link)
{
  json_t *m = load_member(dir, id);
  const char *veth = json_string_value(json_object_get(m, "veth"));
  if (nl && veth) {
    keep_error *e = NULL;
    if ((delete_link ? keep_nl_link_del(nl, veth, &e) : keep_nl_link_down(nl, veth, &e)) < 0) {
      keep_error_print(e);
      keep_error_free(&e);
    }
  }
  json_decref(m);
  cleanup_free char *f = xasprintf("%s/%s", dir, id);
  unlink(f);
}

/* The live members of one network (records of dead keeps are removed). */
static json_t *members_of(const char *state_base, const char *name, struct keep_nl *prune)
{
  cleanup_free char *dir = xasprintf("%s/networks/%s", state_base, name);
  json_t *list = json_array();
  cleanup_dir DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (!keep_state_id_valid(e->d_name))
      continue;
    if (!keep_owner_alive(state_base, e->d_name)) {
      if (prune)
        drop_member(prune, dir, e->d_name, false);
      continue;
    }
    json_t *m = load_member(dir, e->d_name);
    if (json_is_object(m))
      json_array_append_new(list, m);
    else
      json_decref(m);
  }
  return list;
}

json_t *keep_network_members(const char *state_base, const char *name)
{
  return members_of(state_base, name, NULL);
}

static void write_sysctl(const char *path, const char *value)
{
  keep_error *e = NULL;
  if (write_file_at(AT_FDCWD, path, value, &e) < 0)
    keep_error_free(&e); /* IPv6 may be absent: nothing to turn off */
}

/* The host side of a network: its bridge, up, with no address but the
 * gateway's on an egress network, no IPv6, and no ARP answers about the
 * host's other addresses. */
static int bridge_up(struct keep_nl *nl, json_t *def, keep_error **err)
{
  const char *br = json_string_value(json_object_get(def, "bridge"));
  bool fresh = keep_nl_index(br) == 0;
  if (keep_nl_bridge_add(nl, br, err) < 0)
    return -1;
  if (fresh) {
    cleanup_free char *v6 = xasprintf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", br);
    write_sysctl(v6, "1");
    cleanup_free char *arp = xasprintf("/proc/sys/net/ipv4/conf/%s/arp_ignore", br);
    write_sysctl(arp, "1");
  }
  if (json_is_true(json_object_get(def, "egress"))) {
    struct keep_subnet s;
    if (def_subnet(def, &s) < 0)
      return keep_fail(err, EINVAL, "network `%s`: bad subnet in its definition",
                       json_string_value(json_object_get(def, "name")));
    struct in_addr gw = {htonl(keep_subnet_host(&s, 1))};
    if (keep_nl_addr4_add(nl, br, gw, s.prefix, err) < 0)
      return -1;
    /* Egress is routing: the host must forward (as Docker turns it on). */
    if (write_file_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_forward", "1", err) < 0)
      return keep_error_wrap(err, "network `%s` --egress", json_string_value(json_object_get(def, "name")));
  }
  return keep_nl_link_up(nl, br, 0, err);
}

/* One network operation, run where the networks are: here as root, in the
 * holder's namespaces for a normal user (holder.h). */
struct net_op {
  const char *state_base;
  const char *id;                      /* attach, release */
  const struct keep_net_attach_req *q; /* attach */
  int netns;                           /* attach: the container's */
  const char *name;                    /* network rm */
  char **blocked;                      /* rootless: the host's addresses, never reached through pasta */
  bool egress;                         /* attach: an --egress network is asked (rootless: pasta) */
  int (*body)(struct net_op *op, struct keep_nl *nl, keep_error **err);
};

struct net_state {
  json_t *defs;    /* active networks' definitions */
  json_t *members; /* per network (same order), its live members */
};

/* Every network with a live member, pruning the rest (bridge and record). */
static int collect(const char *state_base, struct keep_nl *nl, struct net_state *st, keep_error **err)
{
  st->defs = json_array();
  st->members = json_array();
  cleanup_free char *dir = rt_dir(state_base);
  cleanup_dir DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.' || !keep_net_name_valid(e->d_name))
      continue;
    json_t *m = members_of(state_base, e->d_name, nl);
    /* The definition the network was brought up with, kept beside its
     * members: what runs never depends on a store (which may be another's,
     * or have lost the definition since). */
    cleanup_free char *def_file = xasprintf("%s/%s/.def", dir, e->d_name);
    json_t *def = keep_json_load_file_at(AT_FDCWD, def_file, 0, NULL);
    if (json_array_size(m) == 0) {
      /* Unused: its bridge goes, and its record. */
      const char *br = json_string_value(json_object_get(def, "bridge"));
      if (nl && br && keep_nl_link_del(nl, br, err) < 0) {
        json_decref(m);
        json_decref(def);
        return -1;
      }
      unlink(def_file);
      cleanup_free char *sub = xasprintf("%s/%s", dir, e->d_name);
      rmdir(sub);
      json_decref(m);
      json_decref(def);
      continue;
    }
    if (def == NULL) { /* not brought up by this keep: not ours to touch */
      json_decref(m);
      continue;
    }
    json_array_append_new(st->defs, def);
    json_array_append_new(st->members, m);
  }
  return 0;
}

static void hosts_line(FILE *f, json_t *m)
{
  fprintf(f, "%s", json_string_value(json_object_get(m, "ip")));
  size_t i;
  json_t *n;
  json_array_foreach (json_object_get(m, "names"), i, n)
    fprintf(f, " %s", json_string_value(n));
  fputc('\n', f);
}

/* Beside the state, not in it: the container's root opens its volumes
 * itself (it may not read what its user could not), and the state is 0700.
 * 0711: no one lists the directory; a file's name is a 64-hex id. */
static char *hosts_dir(const char *state_base)
{
  return xasprintf("%s-hosts", state_base);
}

static char *hosts_path(const char *state_base, const char *id)
{
  return xasprintf("%s-hosts/%s", state_base, id);
}

/* Each live member's /etc/hosts: itself and whoever shares a network with
 * it, rewritten in place (the container has the file bind-mounted). */
static void write_hosts(const char *state_base, const struct net_state *st)
{
  size_t i, j;
  json_t *ms, *m;
  json_array_foreach (st->members, i, ms) {
    json_array_foreach (ms, j, m) {
      const char *id = json_string_value(json_object_get(m, "id"));
      char *text = NULL;
      size_t len = 0;
      FILE *f = open_memstream(&text, &len);
      fputs("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n", f);
      /* Every network this container is on. */
      size_t k, l;
      json_t *ms2, *m2;
      json_array_foreach (st->members, k, ms2) {
        bool on = false;
        json_array_foreach (ms2, l, m2)
          on = on || strcmp(json_string_value(json_object_get(m2, "id")), id) == 0;
        if (!on)
          continue;
        json_array_foreach (ms2, l, m2)
          hosts_line(f, m2);
      }
      fclose(f);
      cleanup_free char *path = hosts_path(state_base, id);
      int fd = open(path, O_WRONLY | O_TRUNC | O_NOFOLLOW | O_CLOEXEC);
      if (fd >= 0) {
        write_all(fd, text, len);
        close(fd);
      }
      free(text);
    }
  }
}

static int apply_rules(const struct net_state *st, const char *const *blocked, keep_error **err)
{
  size_t n = json_array_size(st->defs), np = 0;
  struct keep_nft_net *nets = xcalloc(n ? n : 1, sizeof(*nets));
  size_t total = 0;
  for (size_t i = 0; i < n; i++)
    total += json_array_size(json_array_get(st->members, i));
  struct keep_nft_port *ports = xcalloc(total ? total : 1, sizeof(*ports));
  for (size_t i = 0; i < n; i++) {
    json_t *def = json_array_get(st->defs, i);
    nets[i] = (struct keep_nft_net){json_string_value(json_object_get(def, "bridge")),
                                    json_string_value(json_object_get(def, "subnet")),
                                    json_is_true(json_object_get(def, "egress"))};
    size_t j;
    json_t *m;
    json_array_foreach (json_array_get(st->members, i), j, m)
      ports[np++] = (struct keep_nft_port){json_string_value(json_object_get(m, "veth")),
                                           json_string_value(json_object_get(m, "mac")),
                                           json_string_value(json_object_get(m, "ip"))};
  }
  cleanup_free char *rules = keep_nft_ruleset(nets, n, ports, np, blocked);
  free(nets);
  free(ports);
  return keep_nft_apply(rules, err);
}

/* Under the lock: prune, then rules and names for what is left. */
static int sync_locked(struct net_op *op, struct keep_nl *nl, keep_error **err)
{
  const char *state_base = op->state_base;
  struct net_state st = {0};
  int r = collect(state_base, nl, &st, err);
  if (r == 0 && nl)
    r = apply_rules(&st, (const char *const *) op->blocked, err);
  if (r == 0)
    write_hosts(state_base, &st);
  json_decref(st.defs);
  json_decref(st.members);
  return r;
}

static int op_in_holder(void *arg, keep_error **err)
{
  struct net_op *op = arg;
  cleanup_nl struct keep_nl *nl = keep_nl_open(err);
  return nl ? op->body(op, nl, err) : -1;
}

/* Any network with a live member: else a normal user's holder goes. */
static bool any_active(const char *state_base)
{
  cleanup_free char *dir = rt_dir(state_base);
  cleanup_dir DIR *d = opendir(dir);
  bool any = false;
  for (struct dirent *e; !any && d && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.')
      continue;
    json_t *m = members_of(state_base, e->d_name, NULL);
    any = json_array_size(m) > 0;
    json_decref(m);
  }
  return any;
}

/* The host's own IPv4 addresses: through pasta they would be reachable. */
static char **host_addresses(void)
{
  struct ifaddrs *ifa = NULL;
  char **v = NULL;
  if (getifaddrs(&ifa) < 0)
    return NULL;
  for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
    if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
      continue;
    char buf[20];
    keep_ip4_str(ntohl(((struct sockaddr_in *) i->ifa_addr)->sin_addr.s_addr), buf);
    v = strv_append(v, buf);
  }
  freeifaddrs(ifa);
  return v;
}

static int run_op(struct net_op *op, int (*body)(struct net_op *, struct keep_nl *, keep_error **),
                  bool need_holder, keep_error **err)
{
  op->body = body;
  if (geteuid() == 0) {
    cleanup_nl struct keep_nl *nl = keep_nl_open(err);
    return nl ? body(op, nl, err) : -1;
  }
  struct keep_net_holder h;
  if ((need_holder ? keep_net_holder_get(op->state_base, &h, err)
                   : keep_net_holder_find(op->state_base, &h, err)) < 0)
    return -1;
  if (h.pid == 0) /* nothing runs: records to prune, no link or rule */
    return body(op, NULL, err);
  if (op->egress && keep_net_holder_egress(op->state_base, &h, err) < 0) {
    keep_net_holder_close(&h);
    return -1;
  }
  op->blocked = host_addresses();
  free(defs_dir(NULL)); /* the user's store, named before entering the holder */
  int r = keep_net_holder_run(&h, op_in_holder, op, err);
  strv_free(op->blocked);
  op->blocked = NULL;
  keep_net_holder_close(&h);
  if (!any_active(op->state_base))
    keep_net_holder_stop(op->state_base);
  return r;
}

int keep_net_check(const struct keep_net_attach_req *q, keep_error **err)
{
  for (size_t i = 0; q->networks && q->networks[i]; i++) {
    json_t *def = keep_network_load(q->networks[i], err);
    if (def == NULL)
      return keep_error_wrap(err, "--network");
    if (i == 0 && q->ip) {
      struct keep_subnet s;
      struct in_addr a;
      if (inet_pton(AF_INET, q->ip, &a) != 1 || def_subnet(def, &s) < 0) {
        json_decref(def);
        return keep_fail(err, EINVAL, "--ip `%s`: not an IPv4 address", keep_q(q->ip));
      }
      uint32_t h = ntohl(a.s_addr);
      bool ok = keep_subnet_contains(&s, h) && h - s.net >= 2 && h - s.net <= keep_subnet_last_host(&s);
      char sub[20];
      keep_subnet_str(&s, sub);
      json_decref(def);
      if (!ok)
        return keep_fail(err, EINVAL, "--ip `%s`: not a container address of network `%s` (%s, from .2)",
                         q->ip, q->networks[0], sub);
      continue;
    }
    json_decref(def);
  }
  for (size_t i = 0; q->aliases && q->aliases[i]; i++)
    if (!keep_net_name_valid(q->aliases[i]))
      return keep_fail(err, EINVAL, "--network-alias `%s`: not a valid host name", keep_q(q->aliases[i]));
  return 0;
}

/* An egress network's containers resolve names as the host does: its
 * nameservers, but those on its own loopback (127.0.0.53, ::1), which a
 * container's loopback is not. */
int keep_net_resolv_prepare(const char *state_base, const char *id, char **path, keep_error **err)
{
  cleanup_free char *host = NULL;
  keep_error *ignored = NULL;
  if (read_file_at(AT_FDCWD, "/etc/resolv.conf", &host, NULL, &ignored) < 0)
    keep_error_free(&ignored);
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  fputs("# keep: the host's nameservers but its loopback ones\n", f);
  for (char *save = NULL, *line = host ? strtok_r(host, "\n", &save) : NULL; line;
       line = strtok_r(NULL, "\n", &save)) {
    char ns[64];
    if (sscanf(line, "nameserver %63s", ns) == 1 && (strncmp(ns, "127.", 4) == 0 || strcmp(ns, "::1") == 0))
      continue;
    if (strncmp(line, "nameserver", 10) == 0 || strncmp(line, "search", 6) == 0 ||
        strncmp(line, "options", 7) == 0)
      fprintf(f, "%s\n", line);
  }
  fclose(f);
  cleanup_free char *p = xasprintf("%s-hosts/%s.resolv", state_base, id);
  int r = create_file_at(AT_FDCWD, p, text, 0644, err);
  free(text);
  if (r < 0)
    return -1;
  *path = steal_pointer(&p);
  return 0;
}

bool keep_net_any_egress(const char *const *networks)
{
  bool any = false;
  for (size_t i = 0; networks && networks[i]; i++) {
    json_t *def = keep_network_load(networks[i], NULL);
    any = any || json_is_true(json_object_get(def, "egress"));
    json_decref(def);
  }
  return any;
}

int keep_net_hosts_prepare(const char *state_base, const char *id, char **path, keep_error **err)
{
  cleanup_free char *dir = hosts_dir(state_base);
  if (mkdir(dir, 0711) < 0 && errno != EEXIST)
    return keep_fail_errno(err, "mkdir `%s`", dir);
  cleanup_free char *p = hosts_path(state_base, id);
  if (create_file_at(AT_FDCWD, p, "127.0.0.1\tlocalhost\n", 0644, err) < 0)
    return -1;
  *path = steal_pointer(&p);
  return 0;
}

/* A free address of the network: --ip if asked, else the lowest unused. */
static int pick_address(const struct keep_subnet *s, json_t *members, const char *want, uint32_t *out,
                        const char *net, keep_error **err)
{
  size_t i;
  json_t *m;
  if (want) {
    struct in_addr a;
    inet_pton(AF_INET, want, &a);
    json_array_foreach (members, i, m)
      if (strcmp(json_string_value(json_object_get(m, "ip")), want) == 0)
        return keep_fail(err, EADDRINUSE, "--ip `%s`: in use on network `%s`", want, net);
    *out = ntohl(a.s_addr);
    return 0;
  }
  for (uint32_t h = 2; h <= keep_subnet_last_host(s); h++) {
    char ip[20];
    keep_ip4_str(keep_subnet_host(s, h), ip);
    bool used = false;
    json_array_foreach (members, i, m)
      used = used || strcmp(json_string_value(json_object_get(m, "ip")), ip) == 0;
    if (!used) {
      *out = keep_subnet_host(s, h);
      return 0;
    }
  }
  return keep_fail(err, ENOSPC, "network `%s` has no free address left", net);
}

struct inside_cfg {
  char ifname[16];
  struct in_addr addr;
  unsigned prefix;
  bool route;
  struct in_addr gw;
};

/* In the container's network namespace: its interfaces up, addressed, the
 * default route through the first egress network, no IPv6. */
static int configure_inside(int netns, const struct inside_cfg *c, size_t n, keep_error **err)
{
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0)
    return keep_fail_errno(err, "fork");
  if (pid == 0) {
    keep_error *e = NULL;
    if (setns(netns, CLONE_NEWNET) < 0) {
      keep_fail_errno(&e, "setns into the container's network namespace");
      goto fail;
    }
    struct keep_nl *nl = keep_nl_open(&e);
    if (nl == NULL)
      goto fail;
    for (size_t i = 0; i < n; i++) {
      cleanup_free char *v6 = xasprintf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", c[i].ifname);
      write_sysctl(v6, "1");
      if (keep_nl_addr4_add(nl, c[i].ifname, c[i].addr, c[i].prefix, &e) < 0 ||
          keep_nl_link_up(nl, c[i].ifname, 0, &e) < 0 ||
          (c[i].route && keep_nl_route4_default(nl, c[i].gw, &e) < 0))
        goto fail;
    }
    _exit(0);
  fail:
    keep_error_print(e);
    _exit(1);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return keep_fail(err, EIO, "configure the container's network interfaces (see above)");
  return 0;
}

static int attach_body(struct net_op *op, struct keep_nl *nl, keep_error **err)
{
  const char *state_base = op->state_base, *id = op->id;
  const struct keep_net_attach_req *q = op->q;
  int netns = op->netns;
  bool routed = q->no_route;
  size_t n = 0;
  while (q->networks[n])
    n++;
  struct inside_cfg *inside = xcalloc(n, sizeof(*inside));
  int ret = -1;
  for (size_t i = 0; i < n; i++) {
    const char *net = q->networks[i];
    json_t *def = keep_network_load(net, err);
    if (def == NULL)
      goto out;
    struct keep_subnet s;
    def_subnet(def, &s);
    cleanup_free char *dir = xasprintf("%s/networks/%s", state_base, net);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
      keep_fail_errno(err, "mkdir `%s`", dir);
      json_decref(def);
      goto out;
    }
    cleanup_free char *def_file = xasprintf("%s/.def", dir);
    cleanup_free char *def_text = json_dumps(def, JSON_COMPACT);
    const char *br = json_string_value(json_object_get(def, "bridge"));
    json_t *members = members_of(state_base, net, nl);
    uint32_t addr = 0;
    int r = create_file_at(AT_FDCWD, def_file, def_text, 0600, err);
    if (r == 0)
      r = bridge_up(nl, def, err);
    if (r == 0)
      r = pick_address(&s, members, i == 0 ? q->ip : NULL, &addr, net, err);
    json_decref(members);
    char ip[20], mac_s[20];
    uint8_t mac[6];
    keep_mac_of(addr, mac);
    keep_ip4_str(addr, ip);
    keep_mac_str(mac, mac_s);
    unsigned num = (q->first + (unsigned) i) & 15;
    cleanup_free char *veth = xasprintf("kv-%.10s%x", id, num);
    snprintf(inside[i].ifname, sizeof(inside[i].ifname), "eth%u", num);
    if (r == 0)
      r = keep_nl_veth_add(nl, veth, inside[i].ifname, mac, netns, err);
    if (r == 0)
      r = keep_nl_link_up(nl, veth, keep_nl_index(br), err);
    if (r == 0) {
      json_t *names = json_array();
      if (q->name)
        json_array_append_new(names, json_string(q->name));
      for (size_t k = 0; q->aliases && q->aliases[k]; k++)
        json_array_append_new(names, json_string(q->aliases[k]));
      json_array_append_new(names, json_stringn(id, 12));
      json_t *m = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", id, "ip", ip, "mac", mac_s, "veth", veth,
                            "names", names);
      cleanup_free char *text = json_dumps(m, JSON_COMPACT);
      json_decref(m);
      cleanup_free char *file = xasprintf("%s/%s", dir, id);
      r = create_file_at(AT_FDCWD, file, text, 0600, err);
    }
    inside[i].addr.s_addr = htonl(addr);
    inside[i].prefix = s.prefix;
    if (!routed && json_is_true(json_object_get(def, "egress"))) {
      inside[i].route = routed = true;
      inside[i].gw.s_addr = htonl(keep_subnet_host(&s, 1));
    }
    json_decref(def);
    if (r < 0) {
      keep_error_wrap(err, "network `%s`", net);
      goto out;
    }
  }
  if (configure_inside(netns, inside, n, err) < 0 || sync_locked(op, nl, err) < 0)
    goto out;
  ret = 0;
out:
  free(inside);
  return ret;
}

int keep_net_rootless_userns(const char *state_base, keep_error **err)
{
  cleanup_close int lock = rt_lock(state_base, err);
  if (lock < 0)
    return -1;
  struct keep_net_holder h;
  if (keep_net_holder_get(state_base, &h, err) < 0)
    return -1;
  int fd = fcntl(h.userns_fd, F_DUPFD_CLOEXEC, 3);
  keep_net_holder_close(&h);
  return fd < 0 ? keep_fail_errno(err, "dup") : fd;
}

int keep_net_attach(const char *state_base, const char *id, const struct keep_net_attach_req *q, pid_t pid,
                    keep_error **err)
{
  cleanup_close int lock = rt_lock(state_base, err);
  if (lock < 0)
    return -1;
  cleanup_free char *nsp = xasprintf("/proc/%d/ns/net", (int) pid);
  struct net_op op = {.state_base = state_base, .id = id, .q = q, .netns = open(nsp, O_RDONLY | O_CLOEXEC)};
  if (op.netns < 0)
    return keep_fail_errno(err, "open `%s`", nsp);
  op.egress = keep_net_any_egress(q->networks);
  int r = run_op(&op, attach_body, true, err);
  close(op.netns);
  return r;
}

static int release_body(struct net_op *op, struct keep_nl *nl, keep_error **err)
{
  cleanup_free char *dir = rt_dir(op->state_base);
  cleanup_dir DIR *d = opendir(dir);
  for (struct dirent *ent; d && (ent = readdir(d)) != NULL;) {
    if (ent->d_name[0] == '.')
      continue;
    cleanup_free char *sub = xasprintf("%s/%s", dir, ent->d_name);
    drop_member(nl, sub, op->id, false);
  }
  return sync_locked(op, nl, err);
}

/* Interfaces the container has on keep networks now, and whether one of
 * them routes out (then a new egress network adds no default route). */
static unsigned count_interfaces(const char *state_base, const char *id, bool *routed)
{
  cleanup_free char *dir = rt_dir(state_base);
  cleanup_dir DIR *d = opendir(dir);
  unsigned n = 0, top = 0;
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.')
      continue;
    cleanup_free char *sub = xasprintf("%s/%s", dir, e->d_name);
    json_t *m = load_member(sub, id);
    const char *veth = json_string_value(json_object_get(m, "veth"));
    if (veth && strlen(veth) == 14) {
      unsigned k = (unsigned) strtoul(veth + 13, NULL, 16) + 1;
      top = k > top ? k : top;
      n++;
      json_t *def = keep_network_load(e->d_name, NULL);
      *routed = *routed || json_is_true(json_object_get(def, "egress"));
      json_decref(def);
    }
    json_decref(m);
  }
  return n ? top : 0;
}

int keep_net_connect(const char *state_base, const char *id, const char *network, const char *name, pid_t pid,
                     keep_error **err)
{
  cleanup_free char *rec = xasprintf("%s/networks/%s/%s", state_base, network, id);
  if (access(rec, F_OK) == 0)
    return keep_fail(err, EEXIST, "container `%.12s` is on network `%s` already", id, network);
  bool routed = false;
  unsigned first = count_interfaces(state_base, id, &routed);
  if (first >= 8)
    return keep_fail(err, 0, "container `%.12s`: at most 8 networks per container", id);
  /* A normal user's container joins networks only if its user namespace
   * was made in the user's network holder, which is so only when it
   * started on a network. */
  if (geteuid() != 0 && first == 0)
    return keep_fail(err, EPERM,
                     "container `%.12s` started with no network: as a normal user, connect only a container "
                     "started with --network NAME",
                     id);
  const char *nets[] = {network, NULL};
  struct keep_net_attach_req q = {.networks = nets, .name = name, .first = first, .no_route = routed};
  if (keep_net_check(&q, err) < 0)
    return -1;
  return keep_net_attach(state_base, id, &q, pid, err);
}

static int disconnect_body(struct net_op *op, struct keep_nl *nl, keep_error **err)
{
  cleanup_free char *dir = xasprintf("%s/networks/%s", op->state_base, op->name);
  drop_member(nl, dir, op->id, true);
  return sync_locked(op, nl, err);
}

int keep_net_disconnect(const char *state_base, const char *id, const char *network, keep_error **err)
{
  cleanup_close int lock = rt_lock(state_base, err);
  if (lock < 0)
    return -1;
  cleanup_free char *rec = xasprintf("%s/networks/%s/%s", state_base, network, id);
  if (access(rec, F_OK) < 0)
    return keep_fail(err, ENOENT, "container `%.12s` is not on network `%s`", id, keep_q(network));
  struct net_op op = {.state_base = state_base, .id = id, .name = network};
  return run_op(&op, disconnect_body, false, err);
}

/* Has the container a record on any network?  (Only it adds its own.) */
static bool is_member(const char *state_base, const char *id)
{
  cleanup_free char *dir = rt_dir(state_base);
  cleanup_dir DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.')
      continue;
    cleanup_free char *rec = xasprintf("%s/%s", e->d_name, id);
    if (faccessat(dirfd(d), rec, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
      return true;
  }
  return false;
}

void keep_net_release(const char *state_base, const char *id)
{
  cleanup_free char *hosts = hosts_path(state_base, id);
  cleanup_free char *resolv = xasprintf("%s.resolv", hosts);
  /* A container on no network (every detached one ends here) costs no
   * lock, no netlink and no ruleset. */
  if (!is_member(state_base, id)) {
    unlink(hosts);
    unlink(resolv);
    return;
  }
  keep_error *e = NULL;
  cleanup_close int lock = rt_lock(state_base, &e);
  struct net_op op = {.state_base = state_base, .id = id};
  if (lock >= 0 && run_op(&op, release_body, false, &e) < 0)
    keep_error_wrap(&e, "release the container's networks (`keep gc` retries)");
  unlink(hosts);
  unlink(resolv);
  if (e) {
    keep_error_print(e);
    keep_error_free(&e);
  }
}

json_t *keep_net_of_container(const char *state_base, const char *id)
{
  json_t *out = json_object();
  cleanup_free char *dir = rt_dir(state_base);
  cleanup_dir DIR *d = keep_state_id_valid(id) ? opendir(dir) : NULL;
  for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.')
      continue;
    cleanup_free char *sub = xasprintf("%s/%s", dir, e->d_name);
    json_t *m = load_member(sub, id);
    json_t *def = m ? keep_network_load(e->d_name, NULL) : NULL;
    struct keep_subnet s = {0};
    if (def == NULL || def_subnet(def, &s) < 0) {
      json_decref(m);
      json_decref(def);
      continue;
    }
    bool egress = json_is_true(json_object_get(def, "egress"));
    json_object_set_new(out, e->d_name,
                        json_pack("{s:O, s:i, s:s, s:O, s:O, s:O}", "IPAddress", json_object_get(m, "ip"),
                                  "IPPrefixLen", (int) s.prefix, "Gateway",
                                  egress ? json_string_value(json_object_get(def, "gateway")) : "",
                                  "MacAddress", json_object_get(m, "mac"), "Aliases",
                                  json_object_get(m, "names"), "NetworkID", json_object_get(def, "id")));
    json_decref(m);
    json_decref(def);
  }
  return out;
}

int keep_net_gc(const char *state_base, keep_error **err)
{
  cleanup_free char *dir = rt_dir(state_base);
  if (access(dir, F_OK) < 0)
    return 0;
  cleanup_close int lock = rt_lock(state_base, err);
  if (lock < 0)
    return -1;
  /* Hosts files of containers whose state is gone. */
  cleanup_free char *hdir = hosts_dir(state_base);
  cleanup_dir DIR *h = opendir(hdir);
  for (struct dirent *e; h && (e = readdir(h)) != NULL;) {
    char id[65] = "";
    size_t len = strlen(e->d_name); /* <id> or <id>.resolv */
    if (len == 64 || (len == 71 && strcmp(e->d_name + 64, ".resolv") == 0))
      memcpy(id, e->d_name, 64), id[64] = '\0';
    if (!keep_state_id_valid(id) || keep_owner_alive(state_base, id))
      continue;
    unlinkat(dirfd(h), e->d_name, 0);
  }
  struct net_op op = {.state_base = state_base};
  return run_op(&op, sync_locked, false, err);
}

int keep_network_remove(const char *state_base, const char *name, keep_error **err)
{
  json_t *def = keep_network_load(name, err);
  if (def == NULL)
    return -1;
  json_decref(def);
  cleanup_close int lock = rt_lock(state_base, err);
  if (lock < 0)
    return -1;
  struct net_op op = {.state_base = state_base, .name = name};
  /* In use: refused.  Not: its definition goes, and with a sync after it,
   * whatever of it was left. */
  json_t *m = members_of(state_base, name, NULL);
  size_t n = json_array_size(m);
  json_decref(m);
  if (n)
    return keep_fail(err, EBUSY, "network `%s` has %zu container%s on it: remove them first", name, n,
                     n == 1 ? "" : "s");
  cleanup_free char *dir = defs_dir(err);
  if (dir == NULL)
    return -1;
  cleanup_free char *file = xasprintf("%s/%s.json", dir, name);
  if (unlink(file) < 0)
    return keep_fail_errno(err, "remove `%s`", file);
  /* Under the same lock: no container joined it since the check above. */
  return run_op(&op, sync_locked, false, err);
}
