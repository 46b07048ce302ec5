/* What keep trace learned for Landlock: the paths the workload read, wrote
 * and executed, reduced to a few directory rules in the RULES format that
 * `keep run --security-opt landlock=RULES` applies (landlock.h).  Pure. */
#ifndef KEEP_TRACE_LANDLOCK_H
#define KEEP_TRACE_LANDLOCK_H

#include <stddef.h>

struct trace_paths {
  char **v; /* "ACCESS PATH", sorted, unique */
  size_t n;
};

void trace_paths_free(struct trace_paths *p);
/* One access (KEEP_LL_*) to the directory `dir` (absolute, normalised). */
void trace_paths_add(struct trace_paths *p, unsigned access, const char *dir);
/* An entry as trace_paths_add makes it ("read /etc"). */
void trace_paths_add_entry(struct trace_paths *p, const char *entry);
/* "a/./b/../c" under `base` (absolute): the absolute normalised path, or
 * NULL when base is not absolute. */
char *trace_path_join(const char *base, const char *path);
/* The directory holding `path` ("/" for "/" and "/x"). */
char *trace_path_dir(const char *path);
/* The rules, one a line: reads and executions widened to the top two
 * levels of their directory (/usr/lib, /etc; /proc and /sys whole), writes
 * exactly where they happened, then every rule an ancestor's already grants
 * dropped. */
char *trace_paths_rules(const struct trace_paths *p);

#endif
