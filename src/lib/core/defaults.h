/* The defaults every container gets, one table per kind.  `keep spec` writes
 * them into its config.json (oci_default_spec.c), which is also the document
 * `keep run` starts from (run_spec.c); OCI create uses the /dev table for
 * every config.  What keep spec describes is what keep run does. */
#ifndef KEEP_DEFAULTS_H
#define KEEP_DEFAULTS_H

#include <stddef.h>
#include <stdint.h>

/* Hidden: kernel state a container has no business reading (Docker's list
 * and more: interrupt counts, kcore, keys, timer and scheduler internals,
 * firmware, LSM and debug interfaces).  Absolute paths below /proc or /sys. */
extern const char *const keep_masked_paths[];
extern const size_t keep_n_masked_paths;
/* Read-only: the knobs under /proc that write to the host's kernel. */
extern const char *const keep_readonly_paths[];
extern const size_t keep_n_readonly_paths;

/* The device nodes of a fresh /dev (bound from the host's: harmless ones
 * only), and the symlinks every /dev has. */
extern const char *const keep_dev_nodes[];
extern const size_t keep_n_dev_nodes;
struct keep_dev_link {
  const char *name, *target;
};
extern const struct keep_dev_link keep_dev_links[];
extern const size_t keep_n_dev_links;

/* Per-process limits: no core dumps (they can carry secrets out of a
 * container's memory) and a modest number of open files.  Never above the
 * caller's own hard limit: raising one needs CAP_SYS_RESOURCE. */
struct keep_default_rlimit {
  int resource;
  const char *name; /* as config.json spells it */
  uint64_t soft, hard;
};
extern const struct keep_default_rlimit keep_default_rlimits[];
extern const size_t keep_n_default_rlimits;

/* Capabilities: none, in every set.  (`--cap-add` adds to this.) */
#define KEEP_DEFAULT_CAPS 0ULL

#endif
