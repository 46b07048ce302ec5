/* Sigstore (cosign) signatures: an ECDSA or RSA signature over the payload,
 * verified with a PEM public key (libcrypto), then the payload itself. */
#include "trust.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>

#include "digest.h"
#include "trust_internal.h"
#include "util.h"

int keep_sigstore_verify(const char *key_file, const char *payload, size_t len, const char *sig_b64,
                         keep_error **err)
{
  cleanup_free char *pem = NULL;
  if (read_file_at(AT_FDCWD, key_file, &pem, NULL, err) < 0)
    return keep_error_wrap(err, "sigstore public key");
  BIO *b = BIO_new_mem_buf(pem, -1);
  EVP_PKEY *key = b ? PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) : NULL;
  BIO_free(b);
  if (key == NULL)
    return keep_fail(err, 0, "`%s` is not a PEM public key", keep_q(key_file));
  unsigned char *sig = NULL;
  size_t sl = 0;
  if (keep_base64_decode(sig_b64, &sig, &sl) < 0)
    sl = 0;
  int r = -1;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  if (sl == 0) {
    keep_fail(err, 0, "sigstore signature: not base64");
  } else if (md == NULL || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
             EVP_DigestVerify(md, sig, sl, (const unsigned char *) payload, len) != 1) {
    keep_fail(err, 0, "sigstore signature does not verify with the key `%s`", keep_q(key_file));
  } else {
    r = 0;
  }
  EVP_MD_CTX_free(md);
  EVP_PKEY_free(key);
  free(sig);
  return r;
}

int trust_sigstore_check(const char *key, const char *blob, size_t len, const char *sig,
                         const struct keep_image_ref *ref, const char *digest, const struct requirement *rq,
                         keep_error **err)
{
  return keep_sigstore_verify(key, blob, len, sig, err) < 0
             ? -1
             : trust_payload_check(blob, len, "cosign container image signature", digest, ref, rq, err);
}
