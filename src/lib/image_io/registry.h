/* A client of the OCI distribution API (registry v2) over libcurl:
 * manifests and indexes, blobs with resumable and verified downloads,
 * bearer-token and basic auth.  HTTPS always, except for a registry named
 * insecure or on loopback (which is tried with HTTPS first). */
#ifndef KEEP_REGISTRY_H
#define KEEP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "image_ref.h"
#include "store.h"

struct keep_registry;

struct keep_registry_opts {
  char *const *insecure; /* registries allowed plain HTTP */
  const char *auth_file; /* docker-style config.json with "auths"; NULL: the usual places */
  const char *creds;     /* "user:password", overrides the auth file */
  const char *cert_dir;  /* holds ca.crt for this registry; NULL: /etc/{containers,docker}/certs.d/HOST */
  bool progress;         /* a progress line per blob on stderr */
};

int keep_registry_open(const char *registry, const struct keep_registry_opts *o, struct keep_registry **out,
                       keep_error **err);
void keep_registry_close(struct keep_registry *r);

/* GET a manifest by tag or digest; *text is NUL-terminated, *digest its
 * sha256 (checked against `reference` when that is a digest, and against
 * the Docker-Content-Digest header when the server sends one). */
int keep_registry_manifest(struct keep_registry *r, const char *repo, const char *reference, char **text,
                           size_t *len, char *digest, keep_error **err);
/* Fetch a blob into the store, resuming a partial download, refusing more
 * than `size` bytes, verifying the digest before it is stored. */
int keep_registry_blob(struct keep_registry *r, struct keep_store *s, const char *repo, const char *digest,
                       int64_t size, keep_error **err);
/* The same, also copying every byte, as it arrives, to `tee` (a pipe to an
 * unpacker).  *teed: the blob went through `tee` from its first byte, up to
 * its end or until the reader stopped reading (not so when the blob was
 * already stored or the download resumed a partial one). */
int keep_registry_blob_tee(struct keep_registry *r, struct keep_store *s, const char *repo,
                           const char *digest, int64_t size, int tee, bool *teed, keep_error **err);
/* GET any small document (signature lookaside, sigstore tag): *text, NUL-terminated. */
int keep_registry_get_url(struct keep_registry *r, const char *url, char **text, size_t *len, long *status,
                          keep_error **err);
/* "https://host" or "http://host" as decided for this registry. */
const char *keep_registry_base(const struct keep_registry *r);

/* Exposed for tests: one parameter ("realm", "service", "scope") of a
 * WWW-Authenticate challenge, or NULL (pure); and the "user:password" the
 * auth file at `path` (docker config.json, containers auth.json) holds for
 * `host`, or NULL. */
char *keep_www_auth_param(const char *challenge, const char *key);
char *keep_auth_file_creds(const char *path, const char *host);

#endif
