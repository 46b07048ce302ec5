/* keep network create|ls|inspect|rm: the private networks containers join
 * with `keep run --network NAME`. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "network.h"
#include "service.h"
#include "state.h"
#include "util.h"

static void network_usage(FILE *out)
{
  fprintf(out,
          "Usage: keep network create [--subnet CIDR] [--egress | --internal] NAME\n"
          "       keep network ls [--format json] [-q]\n"
          "       keep network inspect NAME...\n"
          "       keep network rm NAME...\n"
          "       keep network connect NAME CONTAINER\n"
          "       keep network disconnect NAME CONTAINER\n"
          "\n"
          "A network is a private link between the containers that join it (`keep run --network NAME`):\n"
          "they reach one another by container name, --network-alias or short id, and nothing else:\n"
          "not containers of other networks, not the host's own addresses, not the outside world.\n"
          "\n"
          "  --subnet CIDR   its IPv4 subnet (default: a free /24 of 10.213.0.0/16)\n"
          "  --egress        WEAKER: containers may open connections out, through NAT (never to the\n"
          "                  cloud metadata address 169.254.169.254); turns on the host's IPv4 forwarding\n"
          "  --internal      never any egress (the default; said for Docker's users)\n"
          "\n"
          "connect adds a running container to a network (eth1, eth2...; as a normal user, only one\n"
          "that started on a network); disconnect takes it off. A restart joins the networks of\n"
          "`keep run` again, not those of connect.\n"
          "\n"
          "Examples:\n"
          "  keep network create app\n"
          "  keep run -d --name db --network app IMAGE\n"
          "  keep run -d --name web --network app -p 8080:80 IMAGE   # reaches db as `db`\n");
}

static int network_create(int argc, char **argv)
{
  const char *subnet = NULL, *name = NULL;
  bool egress = false, internal = false;
  cleanup_error keep_error *err = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--subnet") == 0 && i + 1 < argc)
      subnet = argv[++i];
    else if (str_has_prefix(argv[i], "--subnet="))
      subnet = argv[i] + 9;
    else if (strcmp(argv[i], "--egress") == 0)
      egress = true;
    else if (strcmp(argv[i], "--internal") == 0)
      internal = true;
    else if (argv[i][0] != '-' && name == NULL)
      name = argv[i];
    else {
      keep_fail(&err, 0, "unknown argument `%s` (--subnet CIDR, --egress, --internal, NAME)",
                keep_q(argv[i]));
      return keep_cli_fail(&err);
    }
  }
  if (name == NULL) {
    keep_fail(&err, 0, "no network name given");
    return keep_cli_fail(&err);
  }
  json_t *def = NULL;
  if (keep_network_create(name, subnet, egress, internal, &def, &err) < 0)
    return keep_cli_fail(&err);
  printf("%s\n", json_string_value(json_object_get(def, "id")));
  json_decref(def);
  return 0;
}

static int network_ls(int argc, char **argv)
{
  bool json = false, quiet = false;
  cleanup_error keep_error *err = NULL;
  for (int i = 1; i < argc; i++)
    if (!cli_list_opt(argc, argv, &i, &json, &quiet)) {
      keep_fail(&err, 0, "unknown argument `%s` (--format json, -q)", keep_q(argv[i]));
      return keep_cli_fail(&err);
    }
  json_t *list = keep_network_list(&err);
  if (list == NULL)
    return keep_cli_fail(&err);
  if (json) {
    char *t = json_dumps(list, JSON_INDENT(2));
    printf("%s\n", t);
    free(t);
  } else {
    if (!quiet)
      printf("%-24s %-14s %-18s %s\n", "NAME", "ID", "SUBNET", "EGRESS");
    size_t i;
    json_t *d;
    json_array_foreach (list, i, d) {
      const char *n = json_string_value(json_object_get(d, "name"));
      if (quiet)
        printf("%s\n", n);
      else
        printf("%-24s %-14.12s %-18s %s\n", n, json_string_value(json_object_get(d, "id")),
               json_string_value(json_object_get(d, "subnet")),
               json_is_true(json_object_get(d, "egress")) ? "yes (WEAKER)" : "no");
    }
  }
  json_decref(list);
  return 0;
}

/* inspect and rm: at least one NAME, and the caller's state base. */
static int names_given(int argc, char **base, keep_error **err)
{
  if (argc < 2)
    return keep_fail(err, 0, "no network name given");
  return keep_state_base(base, err);
}

static int network_inspect(int argc, char **argv)
{
  cleanup_error keep_error *err = NULL;
  cleanup_free char *base = NULL;
  if (names_given(argc, &base, &err) < 0)
    return keep_cli_fail(&err);
  json_t *out = json_array();
  for (int i = 1; i < argc; i++) {
    json_t *def = keep_network_load(argv[i], &err);
    if (def == NULL) {
      json_decref(out);
      return keep_cli_fail(&err);
    }
    json_object_set_new(def, "containers", keep_network_members(base, argv[i]));
    json_array_append_new(out, def);
  }
  char *t = json_dumps(out, JSON_INDENT(2));
  printf("%s\n", t);
  free(t);
  json_decref(out);
  return 0;
}

static int network_rm(int argc, char **argv)
{
  cleanup_error keep_error *err = NULL;
  cleanup_free char *base = NULL;
  if (names_given(argc, &base, &err) < 0)
    return keep_cli_fail(&err);
  int rc = 0;
  for (int i = 1; i < argc; i++) {
    if (keep_network_remove(base, argv[i], &err) < 0) {
      rc = keep_cli_fail(&err);
      continue;
    }
    printf("%s\n", argv[i]);
  }
  return rc;
}

/* connect|disconnect NETWORK CONTAINER */
static int network_join(int argc, char **argv, bool join)
{
  cleanup_error keep_error *err = NULL;
  if (argc != 3) {
    keep_fail(&err, 0, "usage: keep network %s NETWORK CONTAINER", argv[0]);
    return keep_cli_fail(&err);
  }
  cleanup_free char *base = NULL;
  struct keep_ctr c;
  int r = keep_cli_ctr_open(argv[2], &base, &c, &err);
  if (r == 0 && join && c.status != KEEP_CTR_RUNNING)
    r = keep_fail(&err, 0, "container `%s` is not running", keep_q(argv[2]));
  if (r == 0)
    r = join ? keep_net_connect(base, c.id, argv[1], keep_ctr_str(&c, "name"), c.pid, &err)
             : keep_net_disconnect(base, c.id, argv[1], &err);
  keep_ctr_free(&c);
  return r < 0 ? keep_cli_fail(&err) : 0;
}

int cmd_network(int argc, char **argv)
{
  keep_progname = "keep network";
  const char *sub = argc > 1 ? argv[1] : "--help";
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "help") == 0) {
      network_usage(stdout);
      return 0;
    }
  if (argc < 2) {
    network_usage(stderr);
    return EXIT_KEEP_FAILED;
  }
  if (strcmp(sub, "create") == 0)
    return network_create(argc - 1, argv + 1);
  if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
    return network_ls(argc - 1, argv + 1);
  if (strcmp(sub, "inspect") == 0)
    return network_inspect(argc - 1, argv + 1);
  if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
    return network_rm(argc - 1, argv + 1);
  if (strcmp(sub, "connect") == 0 || strcmp(sub, "disconnect") == 0)
    return network_join(argc - 1, argv + 1, sub[0] == 'c');
  fprintf(stderr, "keep network: unknown command `%s` (create, ls, inspect, rm, connect, disconnect)\n",
          keep_q(sub));
  return EXIT_KEEP_FAILED;
}
