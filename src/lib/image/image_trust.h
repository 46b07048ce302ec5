/* On what basis an image was let into the store (CIS 4.5, content trust),
 * recorded when it is pulled or loaded so that `keep audit image` can say
 * whether it was signed under the trust policy.
 *
 *   <root>/trust/<manifest hex>.<basis>   one small JSON record per basis
 *
 * One file per (manifest, basis), written beside and renamed into place:
 * no read-modify-write, so concurrent pulls of one image cannot lose a
 * record, and a crash leaves a whole record or none.  The same manifest
 * pulled twice (once signed, once through insecureAcceptAnything) has two
 * records; readers take the strongest, since the bytes are the same ones a
 * key signed.  A store from before records (no trust/) reads as unknown,
 * never as signed. */
#ifndef KEEP_IMAGE_TRUST_H
#define KEEP_IMAGE_TRUST_H

#include <stddef.h>

#include "error.h"
#include "store.h"

/* Weakest first: a reader takes the highest one recorded. */
enum keep_trust_basis {
  KEEP_TRUST_UNKNOWN,         /* no record (an older store) */
  KEEP_TRUST_LOADED,          /* keep load: a local archive, no signature checked */
  KEEP_TRUST_ACCEPT_ANYTHING, /* the policy's scope said insecureAcceptAnything */
  KEEP_TRUST_DIGEST,          /* no trust policy: pulled by a digest the user gave */
  KEEP_TRUST_SIGNED,          /* a signature by a key the policy names verified */
};

struct keep_trust_record {
  enum keep_trust_basis basis;
  char *reference;     /* what was pulled, or the archive loaded */
  char *policy;        /* the policy file (NULL: none) */
  char *scope;         /* its scope that applied */
  char *requirement;   /* signed: "signedBy" or "sigstoreSigned" */
  char *key;           /* signed: the key file that verified */
  char *signed_digest; /* signed: the digest the signature covers (an index's) */
};

const char *keep_trust_basis_name(enum keep_trust_basis b);
void keep_trust_record_free(struct keep_trust_record *r);

/* Pure, for tests: the record as JSON text (caller frees), and back.
 * parse refuses a record whose basis is not `expect` (its file's name). */
char *keep_trust_record_format(const struct keep_trust_record *r);
int keep_trust_record_parse(const char *text, size_t len, enum keep_trust_basis expect,
                            struct keep_trust_record *r, keep_error **err);

/* Record `r` for manifest `digest` (before the image gets a tag). */
int keep_trust_record_write(struct keep_store *s, const char *digest, const struct keep_trust_record *r,
                            keep_error **err);
/* The strongest record of manifest `digest`; basis KEEP_TRUST_UNKNOWN when
 * there is none.  A damaged record is skipped (it vouches for nothing). */
int keep_trust_record_read(struct keep_store *s, const char *digest, struct keep_trust_record *r,
                           keep_error **err);
/* The names below trust/ that manifest `digest` may have, for gc. */
void keep_trust_record_names(const char *digest, char ***names);

#endif
