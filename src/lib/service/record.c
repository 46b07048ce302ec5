/* container.json: what keep run was asked, for ps, inspect, exec and a
 * restart.  Secrets never reach it: only their names are flags. */
#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "rootfs.h"
#include "service.h"
#include "portfwd.h"
#include "util.h"

static json_t *strv_json(char *const *v)
{
  json_t *a = json_array();
  for (size_t i = 0; v && v[i]; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

static const char *restart_name(enum keep_restart r)
{
  switch (r) {
  case KEEP_RESTART_ON_FAILURE: return "on-failure";
  case KEEP_RESTART_ALWAYS: return "always";
  case KEEP_RESTART_NO: break;
  }
  return "no";
}

/* The defences as keep run applies them, and what an exec'd process must
 * get too (Landlock's rules are not in config.json). */
static json_t *defences_json(const struct keep_config *cfg)
{
  json_t *caps = json_array();
  for (int bit = 0; bit < 64; bit++)
    if (cfg->cap_add & (UINT64_C(1) << bit)) {
      cleanup_free char *n = keep_caps_name(bit);
      json_array_append_new(caps, json_string(n));
    }
  cleanup_strv char **writable = keep_rootfs_writable_paths(cfg);
  const char *sc = cfg->seccomp == KEEP_SECCOMP_UNCONFINED ? "unconfined"
                   : cfg->seccomp == KEEP_SECCOMP_FILE     ? cfg->seccomp_file
                                                           : "default";
  /* --security-opt landlock=RULES: the rules themselves, for exec. */
  json_t *rules = json_array();
  for (size_t i = 0; i < cfg->n_landlock_rules; i++)
    json_array_append_new(rules, json_pack("{s:s, s:i}", "path", cfg->landlock_rules[i].path, "access",
                                           (int) cfg->landlock_rules[i].access));
  /* -p: each port as Docker shows it, and whether it is bound beyond
   * loopback. */
  json_t *ports = json_array();
  for (size_t i = 0; cfg->publish && cfg->publish[i]; i++) {
    struct keep_port p;
    char text[96];
    if (keep_port_parse(cfg->publish[i], &p, NULL) < 0)
      continue;
    keep_port_format(&p, text, sizeof(text));
    json_array_append_new(ports, json_pack("{s:s, s:b}", "port", text, "weaker", p.weaker));
  }
  return json_pack("{s:s, s:o, s:b, s:o, s:o, s:b, s:s, s:o, s:o, s:b, s:b, s:s}", "seccomp", sc, "capAdd",
                   caps, "landlock", cfg->landlock, "landlockWritable", strv_json(writable), "landlockRules",
                   rules, "rootWritable", cfg->read_write, "network",
                   cfg->network == KEEP_NET_HOST ? "host"
                   : cfg->networks               ? cfg->networks[0]
                                                 : "none",
                   "networks", strv_json(cfg->networks), "ports", ports, "cgroups", cfg->cgroups, "rootless",
                   cfg->rootless, "apparmor", cfg->apparmor ? cfg->apparmor : "none");
}

char *keep_record_text(const struct keep_config *cfg, const char *image, int argc, char *const *argv)
{
  const struct keep_service *s = &cfg->svc;
  json_t *run_args = json_array();
  for (int i = 0; i < argc; i++)
    json_array_append_new(run_args, json_string(argv[i]));
  cleanup_free char *created = keep_now_rfc3339();
  json_t *j = json_pack(
      "{s:s, s:s?, s:s, s:o, s:s, s:b, s:b, s:{s:s, s:i}, s:i, s:i, s:{s:I, s:i}, s:o, s:o, s:s?}", "id",
      cfg->id, "name", s->name, "image", image ? image : cfg->rootfs, "command", strv_json(cfg->proc.argv),
      "created", created, "detached", s->detach, "autoRemove", s->rm || !s->detach, "restart", "policy",
      restart_name(s->restart), "max", s->restart_max, "stopSignal", cfg->stop_signal ? cfg->stop_signal : 15,
      "stopTimeout", s->stop_timeout < 0 ? 10 : s->stop_timeout, "log", "maxSize",
      (json_int_t) s->log_max_size, "maxFile", s->log_max_file, "defences", defences_json(cfg), "runArgs",
      run_args, "user", cfg->proc.user);
  json_object_set_new(j, "tty", json_boolean(cfg->proc.tty));
  json_object_set_new(j, "interactive", json_boolean(cfg->proc.interactive));
  char *text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  return text;
}
