/* cgroup v2 device filter: OCI device rules compiled to an eBPF program of
 * type BPF_PROG_TYPE_CGROUP_DEVICE, loaded and attached to the container's
 * cgroup.  v2 has no devices.allow/devices.deny: without this program a
 * container with CAP_MKNOD (or a device node bind-mounted in) could open any
 * host disk. */
#ifndef KEEP_CGROUP_DEVICES_BPF_H
#define KEEP_CGROUP_DEVICES_BPF_H

#include <linux/bpf.h>
#include <stddef.h>

#include "error.h"

/* Pure: compile `rules` (NULL-terminated, "allow c 1:3 rwm" / "deny a *:* rwm",
 * in order) into *insns (*n instructions; caller frees).  Semantics: for each
 * access bit asked for (m, r, w), the LAST rule that names the bit and matches
 * the device decides; no matching rule denies.  The access is allowed only
 * when every bit asked for is.  A malformed rule is an error naming it. */
int cg_devices_compile(char *const *rules, struct bpf_insn **insns, size_t *n, keep_error **err);

/* bpf(BPF_PROG_LOAD) of a device program; returns the program fd.  On
 * failure the error carries the verifier's message.  `what` names the
 * program's destination in the message. */
int cg_devices_load(const struct bpf_insn *insns, size_t n, const char *what, keep_error **err);

/* bpf(BPF_PROG_ATTACH) of prog_fd to the cgroup v2 directory `dir`, with
 * BPF_F_ALLOW_MULTI so the programs of the ancestors still run too. */
int cg_devices_attach(int prog_fd, const char *dir, keep_error **err);

/* Compile, load and attach: after success every process in `dir` (and its
 * descendants) is subject to the rules. */
int cg_devices_apply_v2(const char *dir, char *const *rules, keep_error **err);

#endif
