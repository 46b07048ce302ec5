/* Content digests: "sha256:<64 lowercase hex>", computed with libcrypto.
 * A digest string is also how the store names a blob on disk, so one that
 * does not pass keep_digest_valid() never reaches a path. */
#ifndef KEEP_DIGEST_H
#define KEEP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define KEEP_DIGEST_HEX 64
#define KEEP_DIGEST_LEN (7 + KEEP_DIGEST_HEX) /* "sha256:" + hex, without the NUL */

struct keep_hasher;

struct keep_hasher *keep_hasher_new(void);
void keep_hasher_update(struct keep_hasher *h, const void *buf, size_t n);
/* Writes "sha256:<hex>" into out (KEEP_DIGEST_LEN + 1 bytes); h is reset. */
void keep_hasher_final(struct keep_hasher *h, char *out);
void keep_hasher_free(struct keep_hasher *h);

/* One-shot digest of a buffer. */
void keep_digest_buf(const void *buf, size_t n, char *out);

/* "sha256:" followed by exactly 64 lowercase hex digits. */
bool keep_digest_valid(const char *d);
/* As above, or a clear error naming `what` (e.g. "manifest layers[2].digest"). */
int keep_digest_check(const char *d, const char *what, keep_error **err);
/* The hex part of a valid digest. */
const char *keep_digest_hex(const char *d);

/* Standard base64 (with or without padding); *out is NUL-terminated. */
int keep_base64_decode(const char *in, unsigned char **out, size_t *len);

#endif
