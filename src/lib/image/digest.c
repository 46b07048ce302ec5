#include "digest.h"

#include <dlfcn.h>
#include <openssl/evp.h>
#include <string.h>

#include "keep_build_config.h"
#include "util.h"

/* libcrypto is opened when a stream is first hashed, not linked: `keep run
 * ROOTFS` and the OCI commands never hash anything, and need not map 4 MB
 * of OpenSSL (twice: keep re-executes itself sealed) to start a container. */
static struct {
  EVP_MD_CTX *(*ctx_new)(void);
  void (*ctx_free)(EVP_MD_CTX *);
  const EVP_MD *(*sha256)(void);
  int (*init)(EVP_MD_CTX *, const EVP_MD *, ENGINE *);
  int (*update)(EVP_MD_CTX *, const void *, size_t);
  int (*final)(EVP_MD_CTX *, unsigned char *, unsigned int *);
  int (*decode)(unsigned char *, const unsigned char *, int);
} crypto;

static void crypto_load(void)
{
  if (crypto.ctx_new)
    return;
  void *h = dlopen(KEEP_LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    die("cannot load %s (OpenSSL) to verify digests: %s", KEEP_LIBCRYPTO_SONAME, dlerror());
#define SYM(field, name)                                                                                     \
  if ((*(void **) &crypto.field = dlsym(h, name)) == NULL)                                                   \
    die("%s has no %s", KEEP_LIBCRYPTO_SONAME, name);
  SYM(ctx_free, "EVP_MD_CTX_free")
  SYM(sha256, "EVP_sha256")
  SYM(init, "EVP_DigestInit_ex")
  SYM(update, "EVP_DigestUpdate")
  SYM(final, "EVP_DigestFinal_ex")
  SYM(decode, "EVP_DecodeBlock")
  SYM(ctx_new, "EVP_MD_CTX_new")
#undef SYM
}

struct keep_hasher {
  EVP_MD_CTX *ctx;
};

struct keep_hasher *keep_hasher_new(void)
{
  crypto_load();
  struct keep_hasher *h = xcalloc(1, sizeof(*h));
  h->ctx = crypto.ctx_new();
  if (h->ctx == NULL || crypto.init(h->ctx, crypto.sha256(), NULL) != 1)
    die("libcrypto: cannot start a sha256 digest");
  return h;
}

void keep_hasher_update(struct keep_hasher *h, const void *buf, size_t n)
{
  if (n > 0 && crypto.update(h->ctx, buf, n) != 1)
    die("libcrypto: sha256 update failed");
}

void keep_hasher_final(struct keep_hasher *h, char *out)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (crypto.final(h->ctx, md, &len) != 1 || len != 32 || crypto.init(h->ctx, crypto.sha256(), NULL) != 1)
    die("libcrypto: sha256 final failed");
  static const char hex[] = "0123456789abcdef";
  memcpy(out, "sha256:", 7);
  for (unsigned int i = 0; i < len; i++) {
    out[7 + 2 * i] = hex[md[i] >> 4];
    out[7 + 2 * i + 1] = hex[md[i] & 15];
  }
  out[KEEP_DIGEST_LEN] = '\0';
}

void keep_hasher_free(struct keep_hasher *h)
{
  if (h) {
    crypto.ctx_free(h->ctx);
    free(h);
  }
}

/* One-shot digests (a manifest, a config: `keep run IMAGE` checks both on
 * every start) come from libmd where it is installed: it loads in a tenth
 * of a millisecond, where libcrypto (OpenSSL 3 loading its providers and
 * configuration) takes about 4 ms.  Streams (layers) stay on libcrypto,
 * whose SHA-NI code is several times faster on large data. */
static char *(*md_sha256_data)(const unsigned char *, size_t, char *);

static void md_load(void)
{
  static bool tried;
  if (tried)
    return;
  tried = true;
  void *h = dlopen("libmd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h)
    *(void **) &md_sha256_data = dlsym(h, "SHA256Data");
}

void keep_digest_buf(const void *buf, size_t n, char *out)
{
  md_load();
  char hex[KEEP_DIGEST_HEX + 1];
  if (md_sha256_data && md_sha256_data(buf, n, hex) == hex && strlen(hex) == KEEP_DIGEST_HEX) {
    memcpy(out, "sha256:", 7);
    memcpy(out + 7, hex, KEEP_DIGEST_HEX + 1);
    return;
  }
  struct keep_hasher *h = keep_hasher_new();
  keep_hasher_update(h, buf, n);
  keep_hasher_final(h, out);
  keep_hasher_free(h);
}

bool keep_digest_valid(const char *d)
{
  if (d == NULL || strncmp(d, "sha256:", 7) != 0 || strlen(d) != KEEP_DIGEST_LEN)
    return false;
  for (const char *p = d + 7; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}

int keep_digest_check(const char *d, const char *what, keep_error **err)
{
  if (keep_digest_valid(d))
    return 0;
  if (d && strchr(d, ':') && strncmp(d, "sha256:", 7) != 0)
    return keep_fail(err, 0, "%s: unsupported digest algorithm in `%s` (keep verifies sha256)", what,
                     keep_q(d));
  return keep_fail(err, 0, "%s: `%s` is not a sha256 digest", what, d ? keep_q(d) : "(missing)");
}

const char *keep_digest_hex(const char *d)
{
  return d + 7;
}

int keep_base64_decode(const char *in, unsigned char **out, size_t *len)
{
  size_t n = strlen(in);
  while (n > 0 && (in[n - 1] == '\n' || in[n - 1] == '\r'))
    n--;
  /* EVP_DecodeBlock wants whole 4-character groups: pad what is missing. */
  size_t padded = (n + 3) / 4 * 4;
  char *buf = xmalloc(padded + 1);
  memcpy(buf, in, n);
  memset(buf + n, '=', padded - n);
  buf[padded] = '\0';
  unsigned char *o = xmalloc(padded + 1);
  crypto_load();
  int r = crypto.decode(o, (const unsigned char *) buf, (int) padded);
  size_t pad = 0;
  for (size_t i = padded; i > 0 && buf[i - 1] == '=' && pad < 2; i--)
    pad++;
  free(buf);
  if (r < 0 || (size_t) r < pad) {
    free(o);
    return -1;
  }
  *len = (size_t) r - pad;
  o[*len] = '\0';
  *out = o;
  return 0;
}
