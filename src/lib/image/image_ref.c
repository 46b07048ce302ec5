#include "image_ref.h"

#include <arpa/inet.h>
#include <string.h>

#include "digest.h"
#include "util.h"

static bool is_lower_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ joined by '.', '_', '__' or runs of '-'. */
static bool component_valid(const char *s, size_t n)
{
  if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
    return false;
  for (size_t i = 1; i < n; i++) {
    char c = s[i];
    if (is_lower_alnum(c) || c == '-')
      continue;
    if (c == '.' || c == '_') {
      /* no two separators in a row except "__" */
      char prev = s[i - 1];
      if (prev == '.' || prev == '-' || (prev == '_' && (c != '_' || (i >= 2 && s[i - 2] == '_'))))
        return false;
      continue;
    }
    return false;
  }
  return true;
}

static bool repository_valid(const char *repo)
{
  if (strlen(repo) > 255)
    return false;
  for (const char *p = repo;;) {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t) (slash - p) : strlen(p);
    if (!component_valid(p, n))
      return false;
    if (!slash)
      return true;
    p = slash + 1;
  }
}

static bool tag_valid(const char *t)
{
  size_t n = strlen(t);
  if (n == 0 || n > 128)
    return false;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
              (i > 0 && (c == '.' || c == '-'));
    if (!ok)
      return false;
  }
  return true;
}

static bool registry_valid(const char *r)
{
  if (*r == '\0' || strlen(r) > 255)
    return false;
  for (const char *p = r; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
          c == '-' || c == ':' || c == '[' || c == ']'))
      return false;
  }
  return true;
}

int keep_image_ref_parse(const char *s, struct keep_image_ref *out, keep_error **err)
{
  memset(out, 0, sizeof(*out));
  if (s == NULL || *s == '\0')
    return keep_fail(err, 0, "empty image reference");
  /* A newline or an escape sequence would turn the one-line error below
   * into several lines, or into commands for the terminal: refused first,
   * shown escaped. */
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return keep_fail(err, 0, "invalid image reference `%s`: it contains a control character", keep_q(s));
  if (strlen(s) > KEEP_IMAGE_REF_MAX)
    return keep_fail(err, 0, "invalid image reference `%s`: longer than %d characters", keep_q(s),
                     KEEP_IMAGE_REF_MAX);
  cleanup_free char *buf = xstrdup(s);
  char *at = strchr(buf, '@');
  if (at) {
    *at = '\0';
    if (keep_digest_check(at + 1, "image reference", err) < 0)
      return -1;
    out->digest = xstrdup(at + 1);
  }
  /* The first component names a registry when it looks like a host. */
  char *name = buf;
  char *slash = strchr(buf, '/');
  if (slash) {
    *slash = '\0';
    if (strchr(buf, '.') || strchr(buf, ':') || strcmp(buf, "localhost") == 0) {
      out->registry = xstrdup(buf);
      name = slash + 1;
    } else {
      *slash = '/';
    }
  }
  if (out->registry == NULL)
    out->registry = xstrdup("docker.io");
  /* A tag is a ':' after the last '/'. */
  char *last = strrchr(name, '/');
  char *colon = strchr(last ? last : name, ':');
  if (colon) {
    *colon = '\0';
    if (!tag_valid(colon + 1)) {
      keep_fail(err, 0, "invalid tag `%s` in image reference `%s`", keep_q(colon + 1), keep_q(s));
      goto bad;
    }
    out->tag = xstrdup(colon + 1);
  } else if (out->digest == NULL) {
    out->tag = xstrdup("latest");
  }
  if (!registry_valid(out->registry)) {
    keep_fail(err, 0, "invalid registry `%s` in image reference `%s`", keep_q(out->registry), keep_q(s));
    goto bad;
  }
  if (strcmp(out->registry, "docker.io") == 0 && strchr(name, '/') == NULL)
    out->repository = xasprintf("library/%s", name);
  else
    out->repository = xstrdup(name);
  if (!repository_valid(out->repository)) {
    keep_fail(err, 0, "invalid repository `%s` in image reference `%s`", keep_q(name), keep_q(s));
    keep_error_hint(err, "names are lowercase letters, digits and . _ - separated by /");
    goto bad;
  }
  return 0;
bad:
  keep_image_ref_free(out);
  return -1;
}

void keep_image_ref_free(struct keep_image_ref *r)
{
  free(r->registry);
  free(r->repository);
  free(r->tag);
  free(r->digest);
  memset(r, 0, sizeof(*r));
}

char *keep_image_ref_name(const struct keep_image_ref *r)
{
  return xasprintf("%s/%s", r->registry, r->repository);
}

char *keep_image_ref_tagged(const struct keep_image_ref *r)
{
  return r->tag ? xasprintf("%s/%s:%s", r->registry, r->repository, r->tag) : NULL;
}

char *keep_image_ref_string(const struct keep_image_ref *r)
{
  return xasprintf("%s/%s%s%s%s%s", r->registry, r->repository, r->tag ? ":" : "", r->tag ? r->tag : "",
                   r->digest ? "@" : "", r->digest ? r->digest : "");
}

bool keep_registry_is_loopback(const char *registry)
{
  size_t host_len = strcspn(registry, ":");
  if (str_has_prefix(registry, "[::1]"))
    return registry[5] == '\0' || registry[5] == ':';
  if (host_len == 9 && strncmp(registry, "localhost", 9) == 0)
    return true;
  /* 127.0.0.0/8, written as a dotted quad: "127.evil.example" is a name,
   * and so is "127.0.0." or "127.0.0.300" (the resolver would ask DNS). */
  char host[INET_ADDRSTRLEN];
  struct in_addr a;
  if (host_len >= sizeof(host))
    return false;
  memcpy(host, registry, host_len);
  host[host_len] = '\0';
  return inet_pton(AF_INET, host, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}
