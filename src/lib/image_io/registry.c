#include "registry.h"

#include <ctype.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "util.h"

#define MAX_DOC (4 << 20)
#define ACCEPT_MANIFESTS                                                                                     \
  "Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "            \
  "application/vnd.docker.distribution.manifest.list.v2+json, "                                              \
  "application/vnd.docker.distribution.manifest.v2+json"

struct keep_registry {
  char *host;  /* as the reference names it */
  char *base;  /* scheme://api-host */
  bool secure; /* HTTPS: redirects may not leave it */
  char *basic; /* "user:password" or NULL */
  char *token; /* bearer token */
  char *ca_file;
  bool progress;
  CURL *curl;
  CURLcode last; /* of the last transfer */
};

/* What one request brought back, and where its body goes. */
struct response {
  CURL *curl;
  long status;
  char *www_auth, *content_digest;
  bool is_registry; /* Docker-Distribution-API-Version was sent */
  /* memory sink */
  char *buf;
  size_t len;
  bool too_large;
  /* blob sink */
  struct keep_blob_writer *w;
  uint64_t limit; /* bytes the whole blob may have */
  bool checked, over_limit;
  int tee;         /* a pipe that gets each blob byte too, or -1 */
  bool tee_broken; /* its reader went away */
  keep_error *werr;
  const char *label;
};

static void response_clear(struct response *rs)
{
  free(rs->www_auth);
  free(rs->content_digest);
  free(rs->buf);
  keep_error_free(&rs->werr);
  rs->www_auth = rs->content_digest = rs->buf = NULL;
  rs->len = 0;
  rs->status = 0;
  rs->too_large = rs->checked = rs->over_limit = rs->is_registry = false;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
  struct response *rs = arg;
  size_t len = size * n;
  char *colon = memchr(data, ':', len);
  if (colon == NULL)
    return len;
  size_t klen = (size_t) (colon - data);
  const char *v = colon + 1;
  size_t vlen = len - klen - 1;
  while (vlen && isspace((unsigned char) *v))
    v++, vlen--;
  while (vlen && isspace((unsigned char) v[vlen - 1]))
    vlen--;
  char **slot = NULL;
  if (klen == 31 && strncasecmp(data, "docker-distribution-api-version", 31) == 0)
    rs->is_registry = true;
  if (klen == 16 && strncasecmp(data, "www-authenticate", 16) == 0)
    slot = &rs->www_auth;
  else if (klen == 21 && strncasecmp(data, "docker-content-digest", 21) == 0)
    slot = &rs->content_digest;
  if (slot) {
    free(*slot);
    *slot = strndup(v, vlen);
  }
  return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
  struct response *rs = arg;
  size_t len = size * n;
  long status = 0;
  curl_easy_getinfo(rs->curl, CURLINFO_RESPONSE_CODE, &status);
  if (rs->w == NULL || status >= 300) {
    /* Documents, and error bodies: kept small, in memory. */
    if (rs->len + len > MAX_DOC) {
      rs->too_large = true;
      return 0;
    }
    rs->buf = xrealloc(rs->buf, rs->len + len + 1);
    memcpy(rs->buf + rs->len, data, len);
    rs->len += len;
    rs->buf[rs->len] = '\0';
    return len;
  }
  if (!rs->checked) {
    rs->checked = true;
    /* Asked to resume, answered with the whole blob: start over. */
    if (status == 200 && rs->w->size > 0) {
      if (ftruncate(rs->w->fd, 0) < 0 || lseek(rs->w->fd, 0, SEEK_SET) < 0)
        return 0;
      char ignored[KEEP_DIGEST_LEN + 1];
      keep_hasher_final(rs->w->h, ignored);
      rs->w->size = 0;
    }
  }
  /* Never more than the manifest declared: a server cannot fill the disk. */
  if (rs->w->size + len > rs->limit) {
    rs->over_limit = true;
    return 0;
  }
  if (keep_blob_write(rs->w, data, len, &rs->werr) < 0)
    return 0;
  /* SIGPIPE is blocked for the transfer: a reader that failed gives EPIPE,
   * and the download itself goes on (the unpacker reports its own error). */
  if (rs->tee >= 0 && write_all(rs->tee, data, len) < 0) {
    rs->tee = -1;
    rs->tee_broken = true;
  }
  return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
  (void) ultotal;
  (void) ulnow;
  struct response *rs = arg;
  if (rs->w && rs->label && dltotal > 0)
    fprintf(stderr, "\rCopying blob %.19s %6.1f / %.1f MB", rs->label, (double) (rs->w->size) / 1e6,
            (double) (rs->limit) / 1e6);
  (void) dlnow;
  return 0;
}

static const char *api_host(const char *host)
{
  return strcmp(host, "docker.io") == 0 ? "registry-1.docker.io" : host;
}

static int do_request(struct keep_registry *r, const char *url, const char *accept, uint64_t resume_from,
                      struct response *rs, keep_error **err)
{
  CURL *c = r->curl;
  curl_easy_reset(c);
  rs->curl = c;
  struct curl_slist *hdrs = NULL;
  if (accept)
    hdrs = curl_slist_append(hdrs, accept);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
  /* Blobs are often redirected to storage: stay on HTTPS when we started
   * there, and never hand our credentials to another host. */
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, r->secure ? "https" : "http,https");
  curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, r->secure ? "https" : "http,https");
  curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt(c, CURLOPT_USERAGENT,
                   "keep/"
                   "0.1");
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, rs);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, rs);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (r->ca_file)
    curl_easy_setopt(c, CURLOPT_CAINFO, r->ca_file);
  if (r->progress && rs->w) {
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, rs);
  }
  if (r->token) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, r->token);
  } else if (r->basic) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERPWD, r->basic);
  }
  if (resume_from > 0)
    curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t) resume_from);
  CURLcode cc = curl_easy_perform(c);
  r->last = cc;
  curl_slist_free_all(hdrs);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
  if (r->progress && rs->w)
    fputc('\n', stderr);
  if (cc == CURLE_OK)
    return 0;
  if (rs->too_large)
    return keep_fail(err, EFBIG, "GET %s: the document is larger than %d MiB", url, MAX_DOC >> 20);
  if (rs->over_limit)
    return keep_fail(err, EFBIG, "GET %s: the server sent more bytes than the manifest declares (%llu)", url,
                     (unsigned long long) rs->limit);
  if (rs->werr) {
    *err = steal_pointer(&rs->werr);
    return -1;
  }
  if (cc == CURLE_PARTIAL_FILE)
    return keep_fail(err, EPIPE, "GET %s: the transfer was cut short (truncated); a new pull resumes it",
                     url);
  /* A resumed range the server could not satisfy: the caller starts over. */
  if (cc == CURLE_RANGE_ERROR || (rs->status == 416))
    return keep_fail(err, ERANGE, "GET %s: the server refused to resume", url);
  return keep_fail(err, 0, "GET %s: %s", url, curl_easy_strerror(cc));
}

/* WWW-Authenticate: Bearer realm="…",service="…",scope="…" */
char *keep_www_auth_param(const char *h, const char *key)
{
  /* RFC 7235: a scheme, then `name=value` pairs separated by commas, where a
   * value is a token or a quoted string.  Walked pair by pair, so a name is
   * never read from inside another parameter's quoted value. */
  size_t kl = strlen(key);
  const char *p = h + strspn(h, " \t");
  p += strcspn(p, " \t"); /* the scheme */
  for (;;) {
    p += strspn(p, " \t,");
    if (*p == '\0')
      return NULL;
    const char *name = p;
    size_t nl = strcspn(p, "= \t,");
    p += nl;
    p += strspn(p, " \t");
    if (*p != '=')
      continue; /* a bare token (token68): not a parameter */
    p++;
    p += strspn(p, " \t");
    cleanup_free char *value = NULL;
    if (*p == '"') {
      value = xcalloc(1, strlen(p));
      size_t n = 0;
      /* A quoted-pair is kept as it is written (registries send none): it
       * only keeps an escaped quote from ending the value. */
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
          value[n++] = *p++;
        value[n++] = *p;
      }
      if (*p != '"')
        return NULL; /* an unterminated quoted string: nothing trustworthy */
      p++;
    } else {
      size_t vl = strcspn(p, ", \t");
      value = strndup(p, vl);
      p += vl;
    }
    if (nl == kl && strncasecmp(name, key, kl) == 0)
      return steal_pointer(&value);
  }
}

static int fetch_token(struct keep_registry *r, const char *challenge, const char *repo, keep_error **err)
{
  cleanup_free char *realm = keep_www_auth_param(challenge, "realm");
  cleanup_free char *service = keep_www_auth_param(challenge, "service");
  cleanup_free char *scope = keep_www_auth_param(challenge, "scope");
  if (realm == NULL)
    return keep_fail(err, 0, "registry %s: a Bearer challenge without a realm", r->host);
  if (r->secure && !str_has_prefix(realm, "https://"))
    return keep_fail(err, 0, "registry %s: token realm `%s` is not HTTPS", r->host, realm);
  CURL *c = r->curl;
  char *es = service ? curl_easy_escape(c, service, 0) : NULL;
  cleanup_free char *default_scope = repo ? xasprintf("repository:%s:pull", repo) : NULL;
  char *esc = (scope || default_scope) ? curl_easy_escape(c, scope ? scope : default_scope, 0) : NULL;
  cleanup_free char *url =
      xasprintf("%s%s%s%s%s%s", realm, strchr(realm, '?') ? "&" : "?", es ? "service=" : "", es ? es : "",
                esc ? "&scope=" : "", esc ? esc : "");
  curl_free(es);
  curl_free(esc);
  char *saved_token = steal_pointer(&r->token);
  free(saved_token);
  struct response rs = {0};
  int ret = do_request(r, url, NULL, 0, &rs, err);
  if (ret == 0 && rs.status != 200)
    ret = keep_fail(err, EACCES, "registry %s: the token service answered HTTP %ld", r->host, rs.status);
  if (ret == 0) {
    json_t *j = rs.buf ? keep_json_parse(rs.buf, rs.len, 0, "token response", NULL) : NULL;
    const char *t = json_string_value(json_object_get(j, "token"));
    if (t == NULL)
      t = json_string_value(json_object_get(j, "access_token"));
    if (t == NULL || *t == '\0')
      ret = keep_fail(err, EACCES, "registry %s: the token service gave no token", r->host);
    else
      r->token = xstrdup(t);
    json_decref(j);
  }
  response_clear(&rs);
  return ret;
}

/* One request, answering a 401 challenge once. */
static int request(struct keep_registry *r, const char *url, const char *accept, const char *repo,
                   uint64_t resume_from, struct response *rs, keep_error **err)
{
  for (int attempt = 0;; attempt++) {
    if (do_request(r, url, accept, resume_from, rs, err) < 0)
      return -1;
    if (rs->status != 401 || attempt > 0 || rs->www_auth == NULL)
      break;
    if (strncasecmp(rs->www_auth, "Bearer", 6) == 0) {
      if (fetch_token(r, rs->www_auth, repo, err) < 0)
        return -1;
    } else if (strncasecmp(rs->www_auth, "Basic", 5) == 0 && r->basic) {
      free(r->token);
      r->token = NULL;
    } else {
      break;
    }
    if (rs->w) {
      /* Nothing was written on a 401; keep the resume offset as it was. */
    }
    char *keep_auth = NULL;
    (void) keep_auth;
    response_clear(rs);
  }
  if (rs->status == 401 || rs->status == 403) {
    keep_fail(err, EACCES, "registry %s: access denied (HTTP %ld) for `%s`", r->host, rs->status, url);
    return keep_error_hint(err, r->basic ? "check the credentials for this registry"
                                         : "log in (docker login / podman login writes the auth file keep "
                                           "reads) or pass --creds USER:PASSWORD");
  }
  return 0;
}

char *keep_auth_file_creds(const char *path, const char *host)
{
  cleanup_error keep_error *e = NULL;
  json_t *j = keep_json_load_file_at(AT_FDCWD, path, 0, &e);
  if (j == NULL)
    return NULL;
  json_t *auths = json_object_get(j, "auths");
  char *out = NULL;
  const char *keys[] = {host, NULL, NULL, NULL};
  cleanup_free char *https = xasprintf("https://%s", host);
  cleanup_free char *http = xasprintf("http://%s", host);
  keys[1] = https;
  keys[2] = http;
  keys[3] = strcmp(host, "docker.io") == 0 ? "https://index.docker.io/v1/" : NULL;
  for (size_t i = 0; i < 4 && out == NULL; i++) {
    if (keys[i] == NULL)
      continue;
    const char *a = json_string_value(json_object_get(json_object_get(auths, keys[i]), "auth"));
    unsigned char *dec = NULL;
    size_t dl = 0;
    if (a && keep_base64_decode(a, &dec, &dl) == 0)
      out = (char *) dec;
  }
  json_decref(j);
  return out;
}

static char *find_creds(const char *host, const char *auth_file)
{
  if (auth_file)
    return keep_auth_file_creds(auth_file, host);
  const char *env;
  char *c = NULL;
  if ((env = getenv("REGISTRY_AUTH_FILE")) && (c = keep_auth_file_creds(env, host)))
    return c;
  if ((env = getenv("XDG_RUNTIME_DIR"))) {
    cleanup_free char *p = xasprintf("%s/containers/auth.json", env);
    if ((c = keep_auth_file_creds(p, host)))
      return c;
  }
  if ((env = getenv("DOCKER_CONFIG"))) {
    cleanup_free char *p = xasprintf("%s/config.json", env);
    if ((c = keep_auth_file_creds(p, host)))
      return c;
  }
  if ((env = getenv("HOME"))) {
    cleanup_free char *p = xasprintf("%s/.docker/config.json", env);
    if ((c = keep_auth_file_creds(p, host)))
      return c;
  }
  return NULL;
}

static char *find_ca(const char *host)
{
  static const char *const dirs[] = {"/etc/containers/certs.d", "/etc/docker/certs.d"};
  for (size_t i = 0; i < 2; i++) {
    char *p = xasprintf("%s/%s/ca.crt", dirs[i], host);
    if (access(p, R_OK) == 0)
      return p;
    free(p);
  }
  return NULL;
}

int keep_registry_open(const char *registry, const struct keep_registry_opts *o, struct keep_registry **out,
                       keep_error **err)
{
  static bool curl_ready;
  if (!curl_ready) {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      return keep_fail(err, 0, "libcurl initialisation failed");
    curl_ready = true;
  }
  struct keep_registry *r = xcalloc(1, sizeof(*r));
  r->host = xstrdup(registry);
  r->curl = curl_easy_init();
  if (r->curl == NULL)
    die("out of memory");
  r->progress = o->progress;
  r->basic = o->creds ? xstrdup(o->creds) : find_creds(registry, o->auth_file);
  r->ca_file = o->cert_dir ? xasprintf("%s/ca.crt", o->cert_dir) : find_ca(registry);
  bool insecure_ok = keep_registry_is_loopback(registry);
  for (size_t i = 0; o->insecure && o->insecure[i]; i++)
    if (strcmp(o->insecure[i], registry) == 0)
      insecure_ok = true;
  /* A loopback registry with no credentials to protect is asked over plain
   * HTTP first (the traffic never leaves the host; it saves a TLS set-up
   * that would fail anyway); it must answer as a registry, or HTTPS is used. */
  if (keep_registry_is_loopback(registry) && r->basic == NULL && r->ca_file == NULL) {
    r->secure = false;
    r->base = xasprintf("http://%s", api_host(registry));
    cleanup_free char *url = xasprintf("%s/v2/", r->base);
    struct response hr = {0};
    cleanup_error keep_error *he = NULL;
    int ok = do_request(r, url, NULL, 0, &hr, &he) == 0 && hr.is_registry &&
             (hr.status == 200 || hr.status == 401);
    response_clear(&hr);
    if (ok) {
      *out = r;
      return 0;
    }
    free(r->base);
    r->base = NULL;
  }
  /* HTTPS first, always; plain HTTP only where it is allowed and HTTPS
   * cannot even be spoken (not on a certificate error). */
  r->secure = true;
  r->base = xasprintf("https://%s", api_host(registry));
  cleanup_free char *ping = xasprintf("%s/v2/", r->base);
  struct response rs = {0};
  cleanup_error keep_error *e = NULL;
  int pr = do_request(r, ping, NULL, 0, &rs, &e);
  /* A certificate that does not verify is an answer over TLS: never a
   * reason to drop to plain HTTP. */
  CURLcode cc = r->last;
  bool cert_problem = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CERTPROBLEM ||
                      cc == CURLE_SSL_ISSUER_ERROR || cc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
  response_clear(&rs);
  if (pr < 0 && insecure_ok && !cert_problem) {
    free(r->base);
    r->base = xasprintf("http://%s", api_host(registry));
    r->secure = false;
    free(ping);
    ping = xasprintf("%s/v2/", r->base);
    keep_error_free(&e);
    pr = do_request(r, ping, NULL, 0, &rs, &e);
    response_clear(&rs);
  }
  if (pr < 0) {
    *err = steal_pointer(&e);
    keep_registry_close(r);
    if (!insecure_ok)
      return keep_error_hint(err,
                             "registry %s is reached over HTTPS only; pass --insecure-registry %s to "
                             "allow plain HTTP",
                             registry, registry);
    return -1;
  }
  *out = r;
  return 0;
}

void keep_registry_close(struct keep_registry *r)
{
  if (r == NULL)
    return;
  if (r->curl)
    curl_easy_cleanup(r->curl);
  free(r->host);
  free(r->base);
  free(r->basic);
  free(r->token);
  free(r->ca_file);
  free(r);
}

const char *keep_registry_base(const struct keep_registry *r)
{
  return r->base;
}

int keep_registry_manifest(struct keep_registry *r, const char *repo, const char *reference, char **text,
                           size_t *len, char *digest, keep_error **err)
{
  cleanup_free char *url = xasprintf("%s/v2/%s/manifests/%s", r->base, repo, reference);
  struct response rs = {0};
  int ret = request(r, url, ACCEPT_MANIFESTS, repo, 0, &rs, err);
  if (ret == 0 && rs.status == 404) {
    keep_fail(err, ENOENT, "registry %s has no manifest `%s` for `%s`", r->host, reference, repo);
    ret = -1;
  } else if (ret == 0 && rs.status != 200) {
    ret = keep_fail(err, 0, "GET %s: HTTP %ld", url, rs.status);
  }
  if (ret == 0) {
    if (rs.buf == NULL)
      rs.buf = xstrdup("");
    keep_digest_buf(rs.buf, rs.len, digest);
    /* The digest is what the bytes hash to; a pinned reference or the
     * server's own claim must agree with it. */
    if (keep_digest_valid(reference) && strcmp(reference, digest) != 0) {
      ret = keep_fail(err, 0, "manifest `%s`: the registry's content hashes to %s", reference, digest);
    } else if (rs.content_digest && keep_digest_valid(rs.content_digest) &&
               strcmp(rs.content_digest, digest) != 0) {
      ret = keep_fail(err, 0, "manifest `%s`: Docker-Content-Digest says %s, the content hashes to %s",
                      reference, rs.content_digest, digest);
    } else {
      *text = steal_pointer(&rs.buf);
      *len = rs.len;
    }
  }
  response_clear(&rs);
  return ret;
}

int keep_registry_blob(struct keep_registry *r, struct keep_store *s, const char *repo, const char *digest,
                       int64_t size, keep_error **err)
{
  bool ignored;
  return keep_registry_blob_tee(r, s, repo, digest, size, -1, &ignored, err);
}

/* The transfer, with SIGPIPE held back: a tee reader that died must not
 * kill keep.  A SIGPIPE raised meanwhile is taken off the queue. */
static int request_teeing(struct keep_registry *r, const char *url, const char *repo, uint64_t resume_from,
                          struct response *rs, keep_error **err)
{
  sigset_t pipe_sig, old;
  sigemptyset(&pipe_sig);
  sigaddset(&pipe_sig, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_sig, &old);
  int ret = request(r, url, NULL, repo, resume_from, rs, err);
  if (rs->tee_broken) {
    struct timespec now = {0, 0};
    while (sigtimedwait(&pipe_sig, NULL, &now) == SIGPIPE)
      ;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return ret;
}

int keep_registry_blob_tee(struct keep_registry *r, struct keep_store *s, const char *repo,
                           const char *digest, int64_t size, int tee, bool *teed, keep_error **err)
{
  *teed = false;
  if (keep_blob_exists(s, digest)) {
    /* Stored before a crash that cut it short (blobs are synced before a tag
     * uses them, not one by one): its size gives it away; fetch it again. */
    uint64_t have = 0;
    if (keep_blob_size(s, digest, &have) == 0 && have == (uint64_t) size)
      return 0;
    keep_blob_remove(s, digest);
  }
  struct keep_blob_writer w;
  if (keep_blob_resume(s, digest, &w, err) < 0)
    return -1;
  if (keep_blob_exists(s, digest)) {
    /* Another pull finished it while we waited for the partial file. */
    keep_blob_abort(s, &w);
    return 0;
  }
  cleanup_free char *url = xasprintf("%s/v2/%s/blobs/%s", r->base, repo, digest);
  /* Only a download from the first byte can feed a reader the whole blob. */
  struct response rs = {.w = &w, .limit = (uint64_t) size, .label = digest, .tee = w.size == 0 ? tee : -1};
  int ret = 0;
  if (w.size > (uint64_t) size) {
    /* A partial file longer than the blob: worthless. */
    if (ftruncate(w.fd, 0) < 0 || lseek(w.fd, 0, SEEK_SET) < 0)
      ret = keep_fail_errno(err, "reset `%s`", w.tmp);
    char ignored[KEEP_DIGEST_LEN + 1];
    keep_hasher_final(w.h, ignored);
    w.size = 0;
  }
  if (ret == 0 && w.size < (uint64_t) size)
    ret = rs.tee >= 0 ? request_teeing(r, url, repo, w.size, &rs, err)
                      : request(r, url, NULL, repo, w.size, &rs, err);
  /* The reader had the blob from its first byte: all of it, or as much as
   * it wanted before it stopped (it has its own verdict then). */
  bool went_through = rs.tee >= 0 || rs.tee_broken;
  if (ret == 0 && rs.status == 404)
    ret = keep_fail(err, ENOENT, "registry %s has no blob %s (the manifest names it)", r->host, digest);
  else if (ret == 0 && rs.status >= 300)
    ret = keep_fail(err, 0, "GET %s: HTTP %ld", url, rs.status);
  response_clear(&rs);
  if (ret < 0) {
    /* A broken transfer keeps its partial file (the next pull resumes);
     * a wrong or oversized one does not. */
    if ((*err)->errnum == EFBIG || (*err)->errnum == ERANGE)
      keep_blob_abort(s, &w);
    else
      keep_blob_abort_keep(&w);
    return keep_error_wrap(err, "blob %.19s", digest);
  }
  if (w.size != (uint64_t) size) {
    keep_fail(err, 0, "blob %.19s: got %llu bytes, the manifest declares %lld (truncated download)", digest,
              (unsigned long long) w.size, (long long) size);
    keep_blob_abort_keep(&w);
    return -1;
  }
  if (keep_blob_commit(s, &w, digest, NULL, err) < 0)
    return -1;
  *teed = went_through;
  return 0;
}

int keep_registry_get_url(struct keep_registry *r, const char *url, char **text, size_t *len, long *status,
                          keep_error **err)
{
  struct response rs = {0};
  int ret = request(r, url, NULL, NULL, 0, &rs, err);
  if (ret == 0) {
    *status = rs.status;
    *text = rs.buf ? steal_pointer(&rs.buf) : xstrdup("");
    *len = rs.len;
  }
  response_clear(&rs);
  return ret;
}
