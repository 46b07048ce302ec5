/* The namespace kinds, in one table: what config.json calls each, the
 * CLONE_ flag that creates or joins it, and its file in /proc/PID/ns.  The
 * parser, create's clone and joins, exec's joins and `keep spec` all read
 * it, so a kind cannot be known to one and missing from another. */
#include <sched.h>

#include "oci_spec.h"

const struct keep_oci_ns_kind keep_oci_namespaces[OCI_NS_COUNT] = {
    [OCI_NS_PID] = {"pid", CLONE_NEWPID, "pid", true},
    [OCI_NS_NETWORK] = {"network", CLONE_NEWNET, "net", true},
    [OCI_NS_IPC] = {"ipc", CLONE_NEWIPC, "ipc", true},
    [OCI_NS_UTS] = {"uts", CLONE_NEWUTS, "uts", true},
    [OCI_NS_MOUNT] = {"mount", CLONE_NEWNS, "mnt", true},
    [OCI_NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP, "cgroup", true},
    [OCI_NS_USER] = {"user", CLONE_NEWUSER, "user", true},
    /* Not in `keep spec`'s config: it has never asked for one. */
    [OCI_NS_TIME] = {"time", CLONE_NEWTIME, "time", false},
};
