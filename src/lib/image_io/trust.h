/* Trust policy in the containers-policy.json form (what Podman, Buildah and
 * skopeo read): per transport "docker", scopes from the most specific
 * (host/repo:tag) to the least (host), then "default".  Every requirement
 * of the matching scope must hold:
 *   insecureAcceptAnything, reject,
 *   signedBy (GPG "simple signing"; signatures from a lookaside store),
 *   sigstoreSigned (cosign format, an ECDSA public key; signatures attached
 *   in the registry under the tag sha256-<hex>.sig). */
#ifndef KEEP_TRUST_H
#define KEEP_TRUST_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "image_ref.h"
#include "image_trust.h"

struct keep_policy;
struct keep_registry;

/* path NULL: $KEEP_POLICY, ~/.config/containers/policy.json, then
 * /etc/containers/policy.json.  No file at all is not an error: *out is
 * then a policy that accepts digest-pinned references only. */
int keep_policy_load(const char *path, struct keep_policy **out, keep_error **err);
void keep_policy_free(struct keep_policy *p);
const char *keep_policy_path(const struct keep_policy *p);

/* Where signatures come from, for the check. */
struct keep_signature_source {
  /* simple-signing signatures of `digest`, in order: return 0 and fill
   * *data (caller frees) or return 1 when there are no more. */
  int (*simple)(void *arg, const char *digest, size_t index, char **data, size_t *len, keep_error **err);
  /* sigstore: each (payload, base64 signature) attached to `digest`. */
  int (*sigstore)(void *arg, const char *digest, size_t index, char **payload, size_t *len, char **sig,
                  keep_error **err);
  void *arg;
};

/* May `ref` (as pulled) with manifest digest `digest` be used?  0 yes, or an
 * error that says which requirement failed and what to do.  On yes, *basis
 * (may be NULL) says why: its basis, policy, scope and, when a signature
 * verified, the requirement and key (the caller frees it). */
int keep_policy_check(const struct keep_policy *p, const struct keep_image_ref *ref, const char *digest,
                      const struct keep_signature_source *src, struct keep_trust_record *basis,
                      keep_error **err);

/* Pure pieces, for tests: check one simple-signing payload (already
 * verified cryptographically) against a digest and reference. */
int keep_signature_payload_check(const char *payload, size_t len, const char *want_type, const char *digest,
                                 const struct keep_image_ref *ref, const char *identity_rule,
                                 keep_error **err);
/* Verify one GPG signature with the keys in key_file; *payload gets the
 * signed content. */
int keep_gpg_verify(const char *key_file, const char *sig, size_t sig_len, char **payload, size_t *len,
                    keep_error **err);
/* Verify a base64 ECDSA/RSA signature of `payload` with a PEM public key. */
int keep_sigstore_verify(const char *key_file, const char *payload, size_t len, const char *sig_b64,
                         keep_error **err);

#endif
