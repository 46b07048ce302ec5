/* keep inspect CONTAINER...: a container as JSON, in Docker's shape where
 * Docker has a field, with keep's own "Defences": what is on, and what the
 * command line weakened.  Secrets never appear: they are in no file read
 * here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "commands.h"
#include "service.h"
#include "state.h"
#include "network.h"
#include "util.h"

static json_t *get(json_t *j, const char *path)
{
  cleanup_free char *copy = xstrdup(path);
  char *save = NULL;
  for (char *k = strtok_r(copy, ".", &save); k && j; k = strtok_r(NULL, ".", &save))
    j = json_object_get(j, k);
  return j;
}

static json_t *copy_or_null(json_t *j)
{
  return j ? json_deep_copy(j) : json_null();
}

static json_t *mounts_json(json_t *config)
{
  json_t *out = json_array();
  size_t i;
  json_t *m;
  json_array_foreach (json_object_get(config, "mounts"), i, m) {
    const char *type = json_string_value(json_object_get(m, "type")) ?: "";
    const char *dst = json_string_value(json_object_get(m, "destination")) ?: "";
    /* Volumes and --tmpfs, not the /proc, /dev ... every container has. */
    if (strcmp(type, "bind") != 0 &&
        !(strcmp(type, "tmpfs") == 0 && strcmp(dst, "/dev") != 0 && strcmp(dst, "/tmp") != 0 &&
          strcmp(dst, "/run") != 0 && strncmp(dst, "/dev/", 5) != 0))
      continue;
    bool ro = false;
    size_t k;
    json_t *o;
    json_array_foreach (json_object_get(m, "options"), k, o)
      ro = ro || strcmp(json_string_value(o) ?: "", "ro") == 0;
    json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:b}", "Type", type, "Source",
                                         json_string_value(json_object_get(m, "source")) ?: "", "Destination",
                                         dst, "RW", !ro));
  }
  return out;
}

/* What is on, and each opt-out taken, by the flag that took it. */
static json_t *defences_json(json_t *d, json_t *mounts)
{
  json_t *weak = json_array();
  const char *sc = json_string_value(json_object_get(d, "seccomp")) ?: "default";
  if (strcmp(sc, "unconfined") == 0)
    json_array_append_new(weak, json_string("--security-opt seccomp=unconfined: no system-call filter"));
  else if (strcmp(sc, "default") != 0)
    json_array_append_new(weak, json_string("--security-opt seccomp=FILE: a profile other than keep's"));
  if (!json_is_true(json_object_get(d, "landlock")))
    json_array_append_new(weak, json_string("no Landlock layer"));
  /* "none": the host has no AppArmor, nothing was switched off. */
  const char *aa = json_string_value(json_object_get(d, "apparmor")) ?: "none";
  if (strcmp(aa, "unconfined") == 0)
    json_array_append_new(weak, json_string("--security-opt apparmor=unconfined: no AppArmor profile"));
  else if (strcmp(aa, "none") != 0 && !str_has_prefix(aa, "keep-default"))
    json_array_append_new(weak, json_string("--security-opt apparmor=PROFILE: a profile other than keep's"));
  if (json_is_true(json_object_get(d, "rootWritable")))
    json_array_append_new(weak, json_string("--read-write: the root filesystem is writable"));
  if (json_array_size(json_object_get(d, "capAdd")))
    json_array_append_new(weak, json_string("--cap-add: capabilities kept"));
  if (strcmp(json_string_value(json_object_get(d, "network")) ?: "none", "host") == 0)
    json_array_append_new(weak, json_string("--network host: the host's network"));
  size_t k;
  json_t *port;
  json_array_foreach (json_object_get(d, "ports"), k, port)
    if (json_is_true(json_object_get(port, "weaker")))
      json_array_append_new(
          weak, json_pack("s+", "-p beyond loopback: ", json_string_value(json_object_get(port, "port"))));
  const char *nets[9] = {0};
  for (size_t i = 0; i < 8 && i < json_array_size(json_object_get(d, "networks")); i++)
    nets[i] = json_string_value(json_array_get(json_object_get(d, "networks"), i));
  if (keep_net_any_egress(nets))
    json_array_append_new(weak, json_string("--network on an --egress network: connections out (NAT)"));
  if (!json_is_true(json_object_get(d, "cgroups")))
    json_array_append_new(weak, json_string("--cgroups=off: no memory, CPU or pids limit"));
  size_t i;
  json_t *m;
  json_array_foreach (mounts, i, m)
    if (json_is_true(json_object_get(m, "RW")) &&
        strcmp(json_string_value(json_object_get(m, "Type")), "bind") == 0)
      json_array_append_new(weak, json_pack("s+", "-v :rw: a writable host directory at ",
                                            json_string_value(json_object_get(m, "Destination"))));
  return json_pack("{s:b, s:b, s:s, s:b, s:s, s:b, s:O, s:s, s:b, s:o}", "userNamespace", true,
                   "noNewPrivileges", true, "seccomp", sc, "landlock",
                   json_is_true(json_object_get(d, "landlock")), "apparmor", aa, "readOnlyRoot",
                   !json_is_true(json_object_get(d, "rootWritable")), "capAdd",
                   json_object_get(d, "capAdd") ?: json_array(), "network",
                   json_string_value(json_object_get(d, "network")) ?: "none", "cgroups",
                   json_is_true(json_object_get(d, "cgroups")), "weakened", weak);
}

/* Every process of a running container (host pids), from its cgroup; the
 * init alone when it has none (rootless on cgroup v1). */
static json_t *pids_json(const struct keep_ctr *c)
{
  json_t *a = json_array();
  if (c->status != KEEP_CTR_RUNNING)
    return a;
  const char *rel = json_string_value(json_object_get(c->state, "cgroupPath"));
  struct keep_cgroup *cg = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  if (rel && keep_cgroup_open_at(rel, &cg, NULL) == 0 && keep_cgroup_pids(cg, &pids, &n, NULL) == 0) {
    for (size_t i = 0; i < n; i++)
      json_array_append_new(a, json_integer(pids[i]));
  } else {
    json_array_append_new(a, json_integer(c->pid));
  }
  free(pids);
  keep_cgroup_forget(cg);
  return a;
}

static json_t *inspect_one(const char *base, const struct keep_ctr *c)
{
  json_t *config = keep_json_load_file_at(c->dirfd, "config.json", 0, NULL);
  json_t *rec = c->record, *ex = c->exit;
  json_t *mounts = mounts_json(config);
  json_t *res = get(config, "linux.resources");
  cleanup_free char *log = xasprintf("%s/ctr.log", c->dir);
  json_t *j = json_pack(
      "{s:s, s:s, s:o, s:o, s:o, s:{s:s, s:b, s:i, s:i, s:b, s:o, s:o, s:i, s:I}, "
      "s:{s:o, s:o, s:o, s:o, s:o, s:i, s:i}, "
      "s:{s:o, s:o, s:{s:s, s:{s:I, s:i}}, s:o, s:o, s:o}, s:o, s:o, s:s?}",
      "Id", c->id, "Name", keep_ctr_str(c, "name") ?: "", "Created",
      copy_or_null(json_object_get(rec, "created")), "Image", copy_or_null(json_object_get(rec, "image")),
      "Args", copy_or_null(get(config, "process.args")), "State", "Status", keep_ctr_status_name(c->status),
      "Running", c->status == KEEP_CTR_RUNNING, "Pid", (int) c->pid, "ExitCode",
      (int) json_integer_value(json_object_get(ex, "exitCode")), "OOMKilled",
      json_is_true(json_object_get(ex, "oomKilled")), "StartedAt",
      copy_or_null(json_object_get(c->state, "created")), "FinishedAt",
      copy_or_null(json_object_get(ex, "finishedAt")), "RestartCount",
      (int) json_integer_value(json_object_get(ex, "restartCount")), "LogDropped",
      json_integer_value(json_object_get(ex, "logDropped")), "Config", "Cmd",
      copy_or_null(json_object_get(rec, "command")), "Env", copy_or_null(get(config, "process.env")), "User",
      copy_or_null(get(config, "process.user")), "WorkingDir", copy_or_null(get(config, "process.cwd")),
      "Hostname", copy_or_null(json_object_get(config, "hostname")), "StopSignal",
      (int) json_integer_value(json_object_get(rec, "stopSignal")), "StopTimeout",
      (int) json_integer_value(json_object_get(rec, "stopTimeout")), "HostConfig", "RestartPolicy",
      copy_or_null(json_object_get(rec, "restart")), "AutoRemove",
      json_boolean(json_is_true(json_object_get(rec, "autoRemove"))), "LogConfig", "Type", "k8s-file",
      "Config", "max-size", json_integer_value(get(rec, "log.maxSize")), "max-file",
      (int) json_integer_value(get(rec, "log.maxFile")), "Resources", copy_or_null(res), "ReadonlyRootfs",
      copy_or_null(get(config, "root.readonly")), "NetworkMode", copy_or_null(get(rec, "defences.network")),
      "Mounts", mounts, "Defences", defences_json(json_object_get(rec, "defences"), mounts), "LogPath",
      json_is_true(json_object_get(rec, "detached")) ? log : NULL);
  json_object_set_new(json_object_get(j, "State"), "Pids", pids_json(c));
  json_t *ports = json_array();
  size_t i;
  json_t *p;
  json_array_foreach (get(rec, "defences.ports"), i, p)
    json_array_append(ports, json_object_get(p, "port"));
  json_object_set_new(
      j, "NetworkSettings",
      json_pack("{s:o, s:o}", "Networks", keep_net_of_container(base, c->id), "Ports", ports));
  json_decref(config);
  return j;
}

int cmd_inspect(int argc, char **argv)
{
  if (argc < 2 || strcmp(argv[1], "--help") == 0) {
    printf(
        "Usage: keep inspect CONTAINER...\n\nShow containers as JSON: config, state, exit, mounts, limits,\n"
        "the defences on and those weakened.  (`keep image inspect` shows an image.)\n");
    return argc < 2 ? EXIT_KEEP_FAILED : 0;
  }
  cleanup_free char *base = NULL;
  json_t *out = json_array();
  int code = 0;
  for (int i = 1; i < argc; i++) {
    keep_error *err = NULL;
    struct keep_ctr c;
    if (keep_cli_ctr_open(argv[i], &base, &c, &err) < 0) {
      keep_error_print(err);
      keep_error_free(&err);
      code = EXIT_KEEP_FAILED;
    } else {
      json_array_append_new(out, inspect_one(base, &c));
    }
    keep_ctr_free(&c);
  }
  char *text = json_dumps(out, JSON_INDENT(4));
  printf("%s\n", text);
  free(text);
  json_decref(out);
  return code;
}
