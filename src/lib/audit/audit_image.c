/* keep audit image: section 4 of the CIS Docker Benchmark v1.6.0 (images)
 * and Dockle's checks on an image in keep's store: its config (USER,
 * HEALTHCHECK, Env, history), the basis its trust record gives (signed or
 * not), and the files of its unpacked layers (setuid and setgid files,
 * world-writable files, private keys and credentials, package caches).  A secret is named by where it is, never printed. */
#include <fcntl.h>
#include <fts.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "image.h"
#include "image_trust.h"
#include "util.h"

/* Names of variables that carry secrets (their values are never shown). */
static bool secret_name(const char *kv)
{
  static const char *const words[] = {"PASSWORD", "PASSWD",      "SECRET",     "TOKEN",      "API_KEY",
                                      "APIKEY",   "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL", "AUTH"};
  const char *eq = strchr(kv, '=');
  size_t n = eq ? (size_t) (eq - kv) : strlen(kv);
  if (eq == NULL || eq[1] == '\0')
    return false; /* no value: nothing leaks */
  cleanup_free char *name = xasprintf("%.*s", (int) n, kv);
  for (char *p = name; *p; p++)
    if (*p >= 'a' && *p <= 'z')
      *p = (char) (*p - 'a' + 'A');
  for (size_t i = 0; i < ARRAY_SIZE(words); i++)
    if (strstr(name, words[i]))
      return true;
  return false;
}

static void check_config(const struct keep_image_config *c, json_t *raw, const char *ref,
                         struct keep_findings *f)
{
  const char *u = c->user;
  bool root = u == NULL || *u == '\0' || strcmp(u, "root") == 0 || strcmp(u, "0") == 0 ||
              strncmp(u, "0:", 2) == 0 || strncmp(u, "root:", 5) == 0;
  if (root)
    keep_findings_add(f, "4.1", AUDIT_WARN, "A user for the container has been created", "config.User",
                      "add USER with a non-root user to the image (or run it with --user)", "%s",
                      u && *u ? u : "no USER: the process runs as root");
  else
    keep_findings_add(f, "4.1", AUDIT_PASS, "A user for the container has been created", "", NULL, "%s", u);

  json_t *cfg = json_object_get(raw, "config");
  json_t *hc = json_object_get(cfg, "Healthcheck");
  json_t *test = json_object_get(hc, "Test");
  bool health = json_is_array(test) && json_array_size(test) > 0 &&
                strcmp(json_string_value(json_array_get(test, 0)) ?: "", "NONE") != 0;
  keep_findings_add(f, "4.6", health ? AUDIT_PASS : AUDIT_INFO, "A HEALTHCHECK is added to the image",
                    health ? "" : "config.Healthcheck", health ? NULL : "add a HEALTHCHECK instruction", "%s",
                    health ? "yes" : "none");

  for (size_t i = 0; c->env && c->env[i]; i++)
    if (secret_name(c->env[i])) {
      const char *eq = strchr(c->env[i], '=');
      keep_findings_add(f, "4.10", AUDIT_FAIL, "Secrets are not stored in the image", "config.Env",
                        "pass it at run time (keep run --env-file, or a secret), never in the image",
                        "variable `%.*s` has a value", (int) (eq - c->env[i]), c->env[i]);
    }

  json_t *history = json_object_get(raw, "history"), *h;
  size_t i;
  bool add_remote = false;
  json_array_foreach (history, i, h) {
    const char *by = json_string_value(json_object_get(h, "created_by"));
    if (by && strstr(by, "ADD ") && (strstr(by, "http://") || strstr(by, "https://"))) {
      add_remote = true;
      keep_findings_add(f, "4.9", AUDIT_WARN, "COPY is used instead of ADD", "history",
                        "download with a checksum in a RUN step, or COPY a file you checked",
                        "ADD of a remote file (history[%zu])", i);
    }
  }
  if (!add_remote)
    keep_findings_add(f, "4.9", AUDIT_PASS, "COPY is used instead of ADD", "", NULL,
                      "no ADD of a remote file");

  bool pinned = strstr(ref, "@sha256:") != NULL || strncmp(ref, "sha256:", 7) == 0;
  keep_findings_add(f, "4.2", pinned ? AUDIT_PASS : AUDIT_INFO, "The image is pinned by digest",
                    pinned ? "" : ref, pinned ? NULL : "refer to it as NAME@sha256:…", "%s",
                    pinned ? "yes" : "by tag: the tag may move");
}

/* CIS 4.5 (content trust): on what basis the store accepted the image,
 * as recorded when it was pulled or loaded. */
static int check_trust(struct keep_store *s, const char *digest, const char *ref, struct keep_findings *f,
                       keep_error **err)
{
  static const char title[] = "The image is signed under the trust policy";
  static const char resign[] = "require a signature for it in the trust policy (signedBy or sigstoreSigned), "
                               "then pull it again";
  struct keep_trust_record r;
  if (keep_trust_record_read(s, digest, &r, err) < 0)
    return -1;
  const char *policy = r.policy ? r.policy : "(none)", *scope = r.scope ? r.scope : "default";
  switch (r.basis) {
  case KEEP_TRUST_SIGNED:
    keep_findings_add(f, "4.5", AUDIT_PASS, title, "", NULL, "signed: %s, key `%s` (policy `%s`, scope `%s`)",
                      r.requirement ? r.requirement : "?", r.key ? r.key : "?", policy, scope);
    break;
  case KEEP_TRUST_DIGEST:
    keep_findings_add(f, "4.5", AUDIT_WARN, title, ref, resign,
                      "not signed: pulled by digest with no trust policy (the digest was the only check)");
    break;
  case KEEP_TRUST_ACCEPT_ANYTHING:
    keep_findings_add(f, "4.5", AUDIT_WARN, title, ref, resign,
                      "not signed: the trust policy `%s` accepts anything for scope `%s`", policy, scope);
    break;
  case KEEP_TRUST_LOADED:
    keep_findings_add(f, "4.5", AUDIT_WARN, title, ref,
                      "pull it from a registry under a trust policy that requires a signature",
                      "not signed: loaded from `%s` (keep load checks no signature)",
                      r.reference ? r.reference : "an archive");
    break;
  case KEEP_TRUST_UNKNOWN:
    /* Fail closed: no record is never read as signed. */
    keep_findings_add(f, "4.5", AUDIT_WARN, title, ref, resign,
                      "unknown: the store has no record of how the image was accepted (stored before keep "
                      "recorded it)");
    break;
  }
  keep_trust_record_free(&r);
  return 0;
}

struct walk {
  size_t setid, writable, keys, creds, caches;
  struct keep_findings *f;
};

static bool has_private_key(int dirfd, const char *name)
{
  cleanup_close int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return false;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  return memmem(buf, (size_t) n, "PRIVATE KEY-----", 16) != NULL;
}

static const char *const cred_files[] = {
    "/.aws/credentials", "/.docker/config.json",           "/.npmrc",      "/.git-credentials", "/.pgpass",
    "/.netrc",           "/.config/gcloud/credentials.db", "/.kube/config"};

static void walk_layer(const char *dir, size_t layer, struct walk *w)
{
  char *paths[] = {(char *) dir, NULL};
  FTS *fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR | FTS_XDEV, NULL);
  if (fts == NULL)
    return;
  size_t base = strlen(dir);
  FTSENT *e;
  while ((e = fts_read(fts)) != NULL) {
    if (e->fts_info == FTS_D || e->fts_info == FTS_DP || e->fts_info == FTS_DNR)
      continue;
    const char *in = e->fts_path + base; /* the path in the image */
    const struct stat *st = e->fts_statp;
    cleanup_free char *where = xasprintf("layer %zu: %s", layer + 1, in);
    if (S_ISREG(st->st_mode) && (st->st_mode & (S_ISUID | S_ISGID)) && w->setid++ < 20)
      keep_findings_add(
          w->f, "4.8", AUDIT_WARN, "setuid and setgid permissions are removed", where,
          "chmod u-s,g-s it in the image (keep runs with no_new_privs: it grants nothing there)", "%s%s",
          st->st_mode & S_ISUID ? "setuid" : "", st->st_mode & S_ISGID ? " setgid" : "");
    if (S_ISREG(st->st_mode) && (st->st_mode & S_IWOTH) && w->writable++ < 20)
      keep_findings_add(w->f, "K.4", AUDIT_WARN, "No file is world-writable", where, "chmod o-w it",
                        "mode %04o", (unsigned) (st->st_mode & 07777));
    if (!S_ISREG(st->st_mode) || st->st_size > (1 << 20))
      continue;
    const char *name = e->fts_name;
    size_t nl = strlen(name);
    bool key_name = strncmp(name, "id_", 3) == 0 ||
                    (nl > 4 && (strcmp(name + nl - 4, ".pem") == 0 || strcmp(name + nl - 4, ".key") == 0));
    if (key_name && has_private_key(AT_FDCWD, e->fts_accpath)) {
      w->keys++;
      keep_findings_add(w->f, "4.10", AUDIT_FAIL, "Secrets are not stored in the image", where,
                        "remove it from every layer (a later deletion leaves it in the blob)",
                        "a private key");
    }
    for (size_t i = 0; i < ARRAY_SIZE(cred_files); i++) {
      size_t cl = strlen(cred_files[i]), il = strlen(in);
      if (il >= cl && strcmp(in + il - cl, cred_files[i]) == 0) {
        w->creds++;
        keep_findings_add(w->f, "4.10", AUDIT_FAIL, "Secrets are not stored in the image", where,
                          "remove it from every layer (a later deletion leaves it in the blob)",
                          "credentials");
      }
    }
    if (strcmp(name, ".env") == 0 && st->st_size > 0) {
      w->creds++;
      keep_findings_add(w->f, "4.10", AUDIT_FAIL, "Secrets are not stored in the image", where,
                        "remove it from every layer", "an environment file");
    }
    if ((strncmp(in, "/var/cache/apt/archives/", 24) == 0 && nl > 4 && strcmp(name + nl - 4, ".deb") == 0) ||
        (strncmp(in, "/var/lib/apt/lists/", 19) == 0 && strcmp(name, "lock") != 0) ||
        strncmp(in, "/var/cache/apk/", 15) == 0)
      w->caches++;
  }
  fts_close(fts);
}

int keep_audit_image(struct keep_store *s, const char *ref, const char *vuln_db, int max_age_days,
                     struct keep_findings *f, keep_error **err)
{
  cleanup_free char *digest = NULL, *raw_text = NULL;
  struct keep_image img = {0};
  char **dirs = NULL;
  size_t raw_len = 0;
  int r = -1;
  if (keep_image_resolve(s, ref, &digest, err) < 0 || keep_image_open(s, digest, &img, err) < 0 ||
      keep_blob_read(s, img.manifest.config.digest, &raw_text, &raw_len, err) < 0 ||
      keep_image_layer_dirs(s, &img, &dirs, err) < 0)
    goto out;
  json_t *raw = keep_json_parse(raw_text, raw_len, 0, "the image config", err);
  if (raw == NULL)
    goto out;
  check_config(&img.config, raw, ref, f);
  json_decref(raw);
  if (check_trust(s, digest, ref, f, err) < 0)
    goto out;
  struct walk w = {.f = f};
  for (size_t i = 0; dirs[i]; i++)
    walk_layer(dirs[i], i, &w);
  if (!w.setid)
    keep_findings_add(f, "4.8", AUDIT_PASS, "setuid and setgid permissions are removed", "", NULL, "none");
  else if (w.setid > 20)
    keep_findings_add(f, "4.8", AUDIT_WARN, "setuid and setgid permissions are removed", "", NULL,
                      "%zu more files", w.setid - 20);
  if (!w.writable)
    keep_findings_add(f, "K.4", AUDIT_PASS, "No file is world-writable", "", NULL, "none");
  if (!w.keys && !w.creds && !keep_audit_reaches_id(f, "4.10", AUDIT_FAIL))
    keep_findings_add(f, "4.10", AUDIT_PASS, "Secrets are not stored in the image", "", NULL, "none found");
  keep_findings_add(f, "K.5", w.caches ? AUDIT_INFO : AUDIT_PASS, "Package manager caches are cleaned",
                    w.caches ? "/var/cache, /var/lib/apt/lists" : "",
                    w.caches ? "clean them in the RUN that fills them" : NULL, "%zu cached files", w.caches);
  if (vuln_db == NULL)
    keep_findings_add(f, "4.4", AUDIT_INFO, "The image has no package with a known vulnerability", "", NULL,
                      "not checked: give --vuln-db DIR (OSV records)");
  else if (keep_audit_vulns(dirs, vuln_db, max_age_days, f, err) < 0)
    goto out;
  keep_findings_sort(f);
  r = 0;
out:
  strv_free(dirs);
  keep_image_free(&img);
  return r;
}
