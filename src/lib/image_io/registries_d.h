/* registries.d (containers-registries.d(5)): where the simple-signing
 * signatures of a repository are published ("lookaside") and whether
 * sigstore signatures are attached in the registry. */
#ifndef KEEP_REGISTRIES_D_H
#define KEEP_REGISTRIES_D_H

#include <stdbool.h>

#include "error.h"

struct keep_lookaside {
  char *url;                 /* lookaside base URL (file:// or http(s)://), or NULL */
  char *staging_url;         /* where new signatures are written (lookaside-staging), or NULL */
  bool sigstore_attachments; /* use-sigstore-attachments */
};

/* For "host/repo": the most specific docker: entry, else default-docker.
 * dir NULL: ~/.config/containers/registries.d, then /etc/containers/registries.d. */
int keep_lookaside_find(const char *dir, const char *name, struct keep_lookaside *out, keep_error **err);
void keep_lookaside_free(struct keep_lookaside *l);

#endif
