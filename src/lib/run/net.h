#ifndef KEEP_NET_H
#define KEEP_NET_H

#include "error.h"

/* Bring up loopback in the container's fresh network namespace: the only
 * interface a container has unless asked for more. */
int keep_net_loopback_up(keep_error **err);

#endif
