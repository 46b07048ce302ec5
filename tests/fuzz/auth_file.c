/* Registry credentials files (registry.c): keep_auth_file_creds reading a
 * docker config.json / containers auth.json, and keep_base64_decode
 * (digest.c) under it, which also decodes sigstore signatures.
 * Invariants: credentials come from the first of the host's keys ("host",
 * "https://host", "http://host", and Docker Hub's legacy URL) whose
 * "auth" decodes, and are exactly what a strict base64 decoder makes of
 * it; any bytes, base64-encoded with or without padding, decode back to
 * themselves. */
#include <jansson.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "fuzz.h"
#include "registry.h"
#include "util.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *encode(const uint8_t *in, size_t n, bool pad)
{
  char *out = xmalloc(n / 3 * 4 + 5);
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v =
        (uint32_t) in[i] << 16 | (i + 1 < n ? (uint32_t) in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
    out[o++] = b64[v >> 18 & 63];
    out[o++] = b64[v >> 12 & 63];
    out[o++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
    out[o++] = i + 2 < n ? b64[v & 63] : '=';
  }
  while (!pad && o > 0 && out[o - 1] == '=')
    o--;
  out[o] = '\0';
  return out;
}

/* Strict RFC 4648: the alphabet, padding only at the end (optional). */
static bool decode(const char *s, uint8_t **out, size_t *len)
{
  size_t n = strlen(s);
  while (n > 0 && s[n - 1] == '=')
    n--;
  if (strlen(s) - n > 2 || n % 4 == 1 || (strlen(s) != n && strlen(s) % 4 != 0))
    return false;
  uint8_t *o = xmalloc(n / 4 * 3 + 3);
  size_t k = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    const char *c = s[i] ? strchr(b64, s[i]) : NULL;
    if (c == NULL) {
      free(o);
      return false;
    }
    acc = acc << 6 | (uint32_t) (c - b64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      o[k++] = (uint8_t) (acc >> bits);
    }
  }
  *out = o;
  *len = k;
  return true;
}

static void roundtrip(const uint8_t *data, size_t size, bool pad)
{
  cleanup_free char *enc = encode(data, size, pad);
  unsigned char *dec = NULL;
  size_t len = 0;
  FUZZ_CHECK(keep_base64_decode(enc, &dec, &len) == 0, "`%s` does not decode", enc);
  FUZZ_CHECK(len == size && memcmp(dec, data, size) == 0, "`%s` decodes to %zu bytes, encoded %zu", enc, len,
             size);
  FUZZ_CHECK(dec[len] == '\0', "decoded bytes not NUL-terminated");
  free(dec);
}

static void creds(const char *path, json_t *j, const char *host)
{
  cleanup_free char *got = keep_auth_file_creds(path, host);
  cleanup_free char *https = xasprintf("https://%s", host);
  cleanup_free char *http = xasprintf("http://%s", host);
  const char *keys[] = {host, https, http,
                        strcmp(host, "docker.io") == 0 ? "https://index.docker.io/v1/" : NULL};
  json_t *auths = json_object_get(j, "auths");
  for (size_t i = 0; i < 4; i++) {
    if (keys[i] == NULL)
      continue;
    const char *a = json_string_value(json_object_get(json_object_get(auths, keys[i]), "auth"));
    if (a == NULL)
      continue;
    uint8_t *want = NULL;
    size_t wl = 0;
    if (!decode(a, &want, &wl)) {
      /* keep may be more lenient (line ends, missing padding): then
       * nothing more is known about its answer. */
      unsigned char *d = NULL;
      size_t dl;
      if (keep_base64_decode(a, &d, &dl) < 0)
        continue;
      free(d);
      return;
    }
    FUZZ_CHECK(got != NULL, "%s: `%s` decodes, keep found no credentials", host, a);
    /* A C string: the decoded bytes up to their first NUL. */
    size_t gl = strlen(got);
    FUZZ_CHECK(gl <= wl && memcmp(got, want, gl) == 0 && (gl == wl || want[gl] == 0), "%s: `%s` gave `%s`",
               host, a, got);
    free(want);
    return;
  }
  FUZZ_CHECK(got == NULL, "%s: credentials `%s` from no key of the host", host, got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  roundtrip(data, size, true);
  roundtrip(data, size, false);
  cleanup_free char *text = fuzz_strndup(data, size);
  cleanup_close int fd = fuzz_memfd(text, strlen(text));
  cleanup_free char *path = fuzz_fd_path(fd);
  json_t *j = json_loads(text, 0, NULL);
  creds(path, j, "docker.io");
  creds(path, j, "127.0.0.1:5000");
  creds(path, j, "quay.io");
  json_decref(j);
  return 0;
}
