/* Simple signing (containers-signature(5)): an OpenPGP signature over a
 * JSON claim that one manifest digest is the image a reference names, the
 * form skopeo --sign-by writes and a signedBy policy requirement checks. */
#ifndef KEEP_SIGN_H
#define KEEP_SIGN_H

#include <stddef.h>

#include "error.h"
#include "image_ref.h"

/* The claim: {"critical":{"identity":{"docker-reference":…},"image":
 * {"docker-manifest-digest":…},"type":"atomic container signature"},
 * "optional":{"creator":…,"timestamp":…}}. */
char *keep_simple_signing_payload(const char *reference, const char *digest);

/* Sign `payload` with the secret key `fingerprint` from the caller's GnuPG
 * keyring ($GNUPGHOME or ~/.gnupg): a binary OpenPGP message. */
int keep_gpg_sign(const char *fingerprint, const char *payload, char **sig, size_t *sig_len,
                  keep_error **err);

/* Store a signature of `digest` for `ref` in a file:// lookaside store:
 * <dir>/<repository>@sha256=<hex>/signature-<n>, n the first free index.
 * *path_out (caller frees) names the file written. */
int keep_lookaside_store(const char *url, const struct keep_image_ref *ref, const char *digest,
                         const char *sig, size_t sig_len, char **path_out, keep_error **err);

#endif
