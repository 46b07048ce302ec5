/* The --secret syntax and secret names: pure, unit-tested (test-secret.c). */
#include <errno.h>
#include <string.h>

#include "secret.h"
#include "userns.h"
#include "util.h"

static bool name_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

static bool alnum(char c)
{
  return name_char(c) && c != '_' && c != '.' && c != '-';
}

int keep_secret_name_check(const char *name, keep_error **err)
{
  size_t len = strlen(name);
  if (len == 0 || len > KEEP_SECRET_NAME_MAX)
    return keep_fail(err, 0, "invalid secret name `%s`: 1 to %d characters", keep_q(name),
                     KEEP_SECRET_NAME_MAX);
  for (size_t i = 0; i < len; i++)
    if (!name_char(name[i]))
      return keep_fail(err, 0, "invalid secret name `%s`: only letters, digits, `_`, `.` and `-` (no `/`)",
                       keep_q(name));
  if (!alnum(name[0]) || !alnum(name[len - 1]))
    return keep_fail(err, 0, "invalid secret name `%s`: it must start and end with a letter or digit",
                     keep_q(name));
  return 0;
}

/* A target below /run/secrets: components of name characters, no `..`,
 * `.` and empty ones dropped.  An absolute one elsewhere is refused: every
 * secret is on the one read-only tmpfs (Docker's compose lets a target
 * land anywhere, over the image's own files; keep does not). */
static int target_normalise(const char *spec, const char *target, char **out, keep_error **err)
{
  const char *rel = target;
  if (target[0] == '/') {
    size_t n = strlen(KEEP_SECRET_DIR);
    if (strncmp(target, KEEP_SECRET_DIR, n) != 0 || target[n] != '/')
      return keep_fail(err, 0,
                       "invalid --secret `%s`: target `%s` is outside " KEEP_SECRET_DIR
                       " (give a name below it, such as target=db/password)",
                       keep_q(spec), keep_q(target));
    rel = target + n + 1;
  }
  if (strlen(rel) > KEEP_SECRET_TARGET_MAX)
    return keep_fail(err, 0, "invalid --secret `%s`: target longer than %d characters", keep_q(spec),
                     KEEP_SECRET_TARGET_MAX);
  struct strv_builder parts = {0};
  cleanup_free char *copy = xstrdup(rel);
  char *save = NULL;
  for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    if (strcmp(c, ".") == 0)
      continue;
    bool ok = strcmp(c, "..") != 0;
    for (char *p = c; ok && *p; p++)
      ok = name_char(*p);
    if (!ok) {
      strvb_free(&parts);
      return keep_fail(err, 0,
                       "invalid --secret `%s`: target `%s`: components of letters, digits, `_`, `.` and "
                       "`-`, never `..`",
                       keep_q(spec), keep_q(target));
    }
    strvb_add(&parts, c);
  }
  cleanup_strv char **v = strvb_finish(&parts);
  if (v == NULL)
    return keep_fail(err, 0, "invalid --secret `%s`: target `%s` names no file", keep_q(spec),
                     keep_q(target));
  size_t len = 0;
  for (size_t i = 0; v[i]; i++)
    len += strlen(v[i]) + 1;
  char *s = xcalloc(len, 1);
  for (size_t i = 0; v[i]; i++) {
    if (i)
      strcat(s, "/");
    strcat(s, v[i]);
  }
  *out = s;
  return 0;
}

static int parse_id(const char *spec, const char *key, const char *v, uint32_t *out, keep_error **err)
{
  int64_t n = 0;
  if (v[strspn(v, "0123456789")] != '\0' || parse_int64(v, &n) < 0 || n >= KEEP_SUBID_COUNT) {
    cleanup_free char *max = xasprintf("%u", KEEP_SUBID_COUNT - 1);
    return keep_fail(err, 0, "invalid --secret `%s`: %s `%s`: a number from 0 to %s (a container id)",
                     keep_q(spec), key, keep_q(v), max);
  }
  *out = (uint32_t) n;
  return 0;
}

static int parse_mode(const char *spec, const char *v, uint32_t *out, keep_error **err)
{
  size_t len = strlen(v);
  if (len == 0 || len > 4 || v[strspn(v, "01234567")] != '\0')
    return keep_fail(err, 0, "invalid --secret `%s`: mode `%s`: octal permissions up to 0777, such as 0440",
                     keep_q(spec), keep_q(v));
  uint32_t m = 0;
  for (const char *p = v; *p; p++)
    m = m * 8 + (uint32_t) (*p - '0');
  /* No setuid, setgid or sticky bit: a secret is data. */
  if (m > 0777)
    return keep_fail(err, 0, "invalid --secret `%s`: mode `%s`: no setuid, setgid or sticky bit",
                     keep_q(spec), keep_q(v));
  *out = m;
  return 0;
}

static int ref_field(const char *spec, char *kv, struct keep_secret_ref *out, keep_error **err)
{
  char *eq = strchr(kv, '=');
  if (eq == NULL)
    return keep_fail(err, 0, "invalid --secret `%s`: `%s` is not KEY=VALUE (target, uid, gid, mode, source)",
                     keep_q(spec), keep_q(kv));
  *eq = '\0';
  const char *k = kv, *v = eq + 1;
  if (strcmp(k, "source") == 0 || strcmp(k, "src") == 0) {
    if (out->name)
      return keep_fail(err, 0, "invalid --secret `%s`: the secret is named twice", keep_q(spec));
    out->name = xstrdup(v);
    return 0;
  }
  if (strcmp(k, "target") == 0 || strcmp(k, "dst") == 0 || strcmp(k, "destination") == 0) {
    free(out->target);
    out->target = NULL;
    return target_normalise(spec, v, &out->target, err);
  }
  if (strcmp(k, "uid") == 0) {
    out->has_uid = true;
    return parse_id(spec, k, v, &out->uid, err);
  }
  if (strcmp(k, "gid") == 0) {
    out->has_gid = true;
    return parse_id(spec, k, v, &out->gid, err);
  }
  if (strcmp(k, "mode") == 0)
    return parse_mode(spec, v, &out->mode, err);
  if (strcmp(k, "type") == 0) {
    if (strcmp(v, "mount") == 0)
      return 0;
    return keep_fail(err, 0,
                     "invalid --secret `%s`: type `%s`: only type=mount (keep never puts a secret in the "
                     "environment, where `ps e` and crash dumps show it)",
                     keep_q(spec), keep_q(v));
  }
  return keep_fail(err, 0, "invalid --secret `%s`: unknown key `%s` (target, uid, gid, mode)", keep_q(spec),
                   keep_q(k));
}

int keep_secret_ref_parse(const char *spec, struct keep_secret_ref *out, keep_error **err)
{
  *out = (struct keep_secret_ref){.mode = 0400};
  cleanup_free char *copy = xstrdup(spec);
  char *save = NULL;
  bool first = true;
  for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save), first = false) {
    if (first && strchr(f, '=') == NULL) {
      out->name = xstrdup(f);
      continue;
    }
    if (ref_field(spec, f, out, err) < 0)
      return -1;
  }
  if (out->name == NULL)
    return keep_fail(err, 0, "invalid --secret `%s`: no secret named (NAME[,target=PATH,uid=U,gid=G,mode=M])",
                     keep_q(spec));
  if (keep_secret_name_check(out->name, err) < 0)
    return keep_error_wrap(err, "--secret");
  if (out->target == NULL)
    out->target = xstrdup(out->name);
  return 0;
}

/* a and b clash when equal or when one is a directory of the other. */
static bool targets_clash(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  if (la > lb)
    return targets_clash(b, a);
  return strncmp(a, b, la) == 0 && (b[la] == '\0' || b[la] == '/');
}

int keep_secret_ref_add(struct keep_config *cfg, const char *spec, keep_error **err)
{
  struct keep_secret_ref r;
  if (keep_secret_ref_parse(spec, &r, err) < 0) {
    free(r.name);
    free(r.target);
    return -1;
  }
  for (size_t i = 0; i < cfg->n_secrets; i++)
    if (targets_clash(cfg->secrets[i].target, r.target)) {
      keep_fail(err, 0, "invalid --secret `%s`: target `" KEEP_SECRET_DIR "/%s` clashes with `%s`'s `%s`",
                keep_q(spec), keep_q(r.target), keep_q(cfg->secrets[i].name), keep_q(cfg->secrets[i].target));
      free(r.name);
      free(r.target);
      return -1;
    }
  if (cfg->n_secrets >= KEEP_MAX_SECRETS) {
    free(r.name);
    free(r.target);
    return keep_fail(err, 0, "--secret `%s`: more than %d secrets", keep_q(spec), KEEP_MAX_SECRETS);
  }
  cfg->secrets = xrealloc(cfg->secrets, (cfg->n_secrets + 1) * sizeof(*cfg->secrets));
  cfg->secrets[cfg->n_secrets++] = r;
  return 0;
}
