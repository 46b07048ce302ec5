/* rtnetlink, through libmnl: the links and addresses of keep's networks.
 * Each call names the interface it acted on when it fails. */
#ifndef KEEP_NETLINK_H
#define KEEP_NETLINK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "error.h"

struct keep_nl;
/* A route socket in the caller's network namespace. */
struct keep_nl *keep_nl_open(keep_error **err);
void keep_nl_close(struct keep_nl *nl);
#define cleanup_nl __attribute__((cleanup(keep_nl_closep)))
void keep_nl_closep(struct keep_nl **nl);

/* The index of `name`, 0 when there is none. */
unsigned keep_nl_index(const char *name);
/* A bridge `name`, down; EEXIST is no error (it is keep's: names are keep's own). */
int keep_nl_bridge_add(struct keep_nl *nl, const char *name, keep_error **err);
/* Delete a link; one that is already gone is no error. */
int keep_nl_link_del(struct keep_nl *nl, const char *name, keep_error **err);
/* A veth pair: `host` here, its peer `peer` (with MAC `mac`, 6 bytes) in the
 * network namespace netns_fd. */
int keep_nl_veth_add(struct keep_nl *nl, const char *host, const char *peer, const uint8_t mac[6],
                     int netns_fd, keep_error **err);
/* Down: a bridge forwards nothing from it (quick, where deleting a link
 * waits for the kernel's grace period); gone already is no error. */
int keep_nl_link_down(struct keep_nl *nl, const char *name, keep_error **err);
/* Up (and enslaved to master_index unless 0). */
int keep_nl_link_up(struct keep_nl *nl, const char *name, unsigned master_index, keep_error **err);
/* An IPv4 address prefix on `name`; EEXIST is no error. */
int keep_nl_addr4_add(struct keep_nl *nl, const char *name, struct in_addr a, unsigned prefix,
                      keep_error **err);
/* The default route through gateway gw. */
int keep_nl_route4_default(struct keep_nl *nl, struct in_addr gw, keep_error **err);

#endif
