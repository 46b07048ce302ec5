/* Internal to the trust check, shared by its three parts: trust_policy.c
 * (the policy and the decision), trust_gpg.c (simple signing, and the
 * payload check both signature formats use) and trust_sigstore.c (cosign).
 * The decision hands each signature check the requirement it enforces, so
 * the requirement's type is declared here rather than in trust.h, which
 * keeps the policy opaque to its callers. */
#ifndef KEEP_TRUST_INTERNAL_H
#define KEEP_TRUST_INTERNAL_H

#include <stddef.h>

#include "error.h"
#include "image_ref.h"

enum req_type { REQ_ACCEPT, REQ_REJECT, REQ_SIGNED_BY, REQ_SIGSTORE };

struct requirement {
  enum req_type type;
  char **key_paths;
  char *identity;     /* signedIdentity.type; NULL = matchRepoDigestOrExact */
  char *identity_arg; /* dockerReference / dockerRepository */
};

/* The signature payload both formats sign (the "critical" object): its
 * type, manifest digest and identity against the requirement. */
int trust_payload_check(const char *payload, size_t len, const char *want_type, const char *digest,
                        const struct keep_image_ref *ref, const struct requirement *rq, keep_error **err);

/* One signature against one key of the policy, then its payload: a GPG
 * simple signature (the payload is what it signs), or a sigstore payload
 * with its base64 signature. */
int trust_gpg_check(const char *key, const char *blob, size_t len, const struct keep_image_ref *ref,
                    const char *digest, const struct requirement *rq, keep_error **err);
int trust_sigstore_check(const char *key, const char *blob, size_t len, const char *sig,
                         const struct keep_image_ref *ref, const char *digest, const struct requirement *rq,
                         keep_error **err);

#endif
