/* The trust basis of each image in the store (see image_trust.h). */
#include "image_trust.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define TRUST_DIR "trust"

static const char *const basis_names[] = {
    [KEEP_TRUST_UNKNOWN] = "unknown",
    [KEEP_TRUST_LOADED] = "loaded",
    [KEEP_TRUST_ACCEPT_ANYTHING] = "accept-anything",
    [KEEP_TRUST_DIGEST] = "digest",
    [KEEP_TRUST_SIGNED] = "signed",
};

const char *keep_trust_basis_name(enum keep_trust_basis b)
{
  return (size_t) b < ARRAY_SIZE(basis_names) ? basis_names[b] : "unknown";
}

void keep_trust_record_free(struct keep_trust_record *r)
{
  free(r->reference);
  free(r->policy);
  free(r->scope);
  free(r->requirement);
  free(r->key);
  free(r->signed_digest);
  *r = (struct keep_trust_record){0};
}

/* The record's text fields, by their JSON names. */
struct field {
  const char *name;
  size_t off;
};
static const struct field fields[] = {
    {"reference", offsetof(struct keep_trust_record, reference)},
    {"policy", offsetof(struct keep_trust_record, policy)},
    {"scope", offsetof(struct keep_trust_record, scope)},
    {"requirement", offsetof(struct keep_trust_record, requirement)},
    {"key", offsetof(struct keep_trust_record, key)},
    {"signedDigest", offsetof(struct keep_trust_record, signed_digest)},
};

static char **field_at(const struct keep_trust_record *r, const struct field *f)
{
  return (char **) ((const char *) r + f->off);
}

char *keep_trust_record_format(const struct keep_trust_record *r)
{
  json_t *o = json_pack("{s:s}", "basis", keep_trust_basis_name(r->basis));
  for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
    const char *v = *field_at(r, &fields[i]);
    if (v)
      json_object_set_new(o, fields[i].name, json_string(v));
  }
  char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(o);
  if (text == NULL)
    die("out of memory");
  return text;
}

int keep_trust_record_parse(const char *text, size_t len, enum keep_trust_basis expect,
                            struct keep_trust_record *r, keep_error **err)
{
  *r = (struct keep_trust_record){0};
  json_t *o = keep_json_parse(text, len, JSON_REJECT_DUPLICATES, "trust record", err);
  if (o == NULL)
    return -1;
  int ret = -1;
  const char *b = json_string_value(json_object_get(o, "basis"));
  /* The file's name says which basis it claims; a record that says another
   * (a file renamed by hand, or damaged) vouches for nothing. */
  if (b == NULL || strcmp(b, keep_trust_basis_name(expect)) != 0 || expect == KEEP_TRUST_UNKNOWN) {
    keep_fail(err, 0, "trust record: basis `%s` where `%s` was expected", b ? keep_q(b) : "(missing)",
              keep_trust_basis_name(expect));
    goto out;
  }
  r->basis = expect;
  for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
    json_t *v = json_object_get(o, fields[i].name);
    if (v == NULL)
      continue;
    if (!json_is_string(v)) {
      keep_fail(err, 0, "trust record: `%s` is not a string", fields[i].name);
      keep_trust_record_free(r);
      goto out;
    }
    *field_at(r, &fields[i]) = xstrdup(json_string_value(v));
  }
  ret = 0;
out:
  json_decref(o);
  return ret;
}

static char *record_name(const char *digest, enum keep_trust_basis b)
{
  return xasprintf("%s.%s", keep_digest_hex(digest), keep_trust_basis_name(b));
}

int keep_trust_record_write(struct keep_store *s, const char *digest, const struct keep_trust_record *r,
                            keep_error **err)
{
  if (keep_digest_check(digest, "trust record", err) < 0)
    return -1;
  /* Stores made before trust records have no trust/: made on first use. */
  if (mkdirat(s->dirfd, TRUST_DIR, 0700) < 0 && errno != EEXIST)
    return keep_fail_errno(err, "create `%s/" TRUST_DIR "`", s->root);
  cleanup_close int dir = openat(s->dirfd, TRUST_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0)
    return keep_fail_errno(err, "open `%s/" TRUST_DIR "`", s->root);
  char rnd[17];
  if (random_hex(rnd, 16, err) < 0)
    return -1;
  cleanup_free char *tmp = xasprintf("tmp/trust-%s.tmp", rnd), *name = record_name(digest, r->basis);
  cleanup_free char *text = keep_trust_record_format(r);
  cleanup_close int fd = openat(s->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || write_all(fd, text, strlen(text)) < 0 || fsync(fd) < 0) {
    keep_fail_errno(err, "write `%s/%s`", s->root, tmp);
    unlinkat(s->dirfd, tmp, 0);
    return -1;
  }
  /* Written beside, then renamed: a reader sees a whole record or none. */
  if (renameat(s->dirfd, tmp, dir, name) < 0) {
    keep_fail_errno(err, "rename `%s/%s` to `" TRUST_DIR "/%s`", s->root, tmp, name);
    unlinkat(s->dirfd, tmp, 0);
    return -1;
  }
  if (fsync(dir) < 0)
    return keep_fail_errno(err, "fsync `%s/" TRUST_DIR "`", s->root);
  return 0;
}

int keep_trust_record_read(struct keep_store *s, const char *digest, struct keep_trust_record *r,
                           keep_error **err)
{
  *r = (struct keep_trust_record){0};
  if (keep_digest_check(digest, "trust record", err) < 0)
    return -1;
  cleanup_close int dir = openat(s->dirfd, TRUST_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0)
    return errno == ENOENT ? 0 : keep_fail_errno(err, "open `%s/" TRUST_DIR "`", s->root);
  for (int b = KEEP_TRUST_SIGNED; b > KEEP_TRUST_UNKNOWN; b--) {
    cleanup_free char *name = record_name(digest, (enum keep_trust_basis) b), *text = NULL;
    size_t len = 0;
    cleanup_error keep_error *e = NULL;
    if (read_file_at(dir, name, &text, &len, &e) < 0) {
      if (e->errnum == ENOENT)
        continue;
      *err = steal_pointer(&e);
      return keep_error_wrap(err, "trust record `%s/" TRUST_DIR "/%s`", s->root, name);
    }
    if (keep_trust_record_parse(text, len, (enum keep_trust_basis) b, r, &e) == 0)
      return 0;
  }
  return 0;
}

void keep_trust_record_names(const char *digest, char ***names)
{
  for (int b = KEEP_TRUST_LOADED; b <= KEEP_TRUST_SIGNED; b++) {
    cleanup_free char *n = record_name(digest, (enum keep_trust_basis) b);
    strv_push(names, n);
  }
}
