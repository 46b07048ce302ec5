/* A normal user's networks live in a network namespace of the user's own,
 * owned by a user namespace of the user's own (mapped like any of the
 * user's containers: root the user, 1.. the subordinate range).  One small
 * process holds both (keep-netns), with pasta beside it for egress; they
 * exist while a network of the user's has a container, and no longer.
 *
 * A container on such a network gets its user namespace made inside the
 * holder's (so the user's keep, entering the holder's, may act on both
 * ends of a veth pair), still one user namespace per container. */
#ifndef KEEP_NET_HOLDER_H
#define KEEP_NET_HOLDER_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

struct keep_net_holder {
  pid_t pid;
  int userns_fd, netns_fd; /* -1 when not open */
};

/* The running holder, started when there is none. */
int keep_net_holder_get(const char *state_base, struct keep_net_holder *h, keep_error **err);
/* The running holder, or h->pid == 0 and no error when there is none. */
int keep_net_holder_find(const char *state_base, struct keep_net_holder *h, keep_error **err);
void keep_net_holder_close(struct keep_net_holder *h);
/* pasta for the holder's egress (an --egress network is in use), started
 * when it does not run. */
int keep_net_holder_egress(const char *state_base, const struct keep_net_holder *h, keep_error **err);
/* End the holder and its pasta (no network of the user's is in use). */
void keep_net_holder_stop(const char *state_base);
/* Run fn(arg) in a child that has entered the holder's user and network
 * namespaces (with every capability there); its error comes back as ours. */
int keep_net_holder_run(const struct keep_net_holder *h, int (*fn)(void *arg, keep_error **err), void *arg,
                        keep_error **err);

#endif
