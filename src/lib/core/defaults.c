#include "defaults.h"

#include <sys/resource.h>

#include "util.h"

const char *const keep_masked_paths[] = {
    "/proc/acpi",           "/proc/asound",        "/proc/interrupts", "/proc/kcore",
    "/proc/keys",           "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug",    "/proc/scsi",          "/sys/firmware",    "/sys/devices/virtual/powercap",
    "/sys/kernel/security", "/sys/kernel/debug",
};
const size_t keep_n_masked_paths = ARRAY_SIZE(keep_masked_paths);

const char *const keep_readonly_paths[] = {
    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};
const size_t keep_n_readonly_paths = ARRAY_SIZE(keep_readonly_paths);

const char *const keep_dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};
const size_t keep_n_dev_nodes = ARRAY_SIZE(keep_dev_nodes);

const struct keep_dev_link keep_dev_links[] = {
    {"fd", "/proc/self/fd"},       {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"},
};
const size_t keep_n_dev_links = ARRAY_SIZE(keep_dev_links);

const struct keep_default_rlimit keep_default_rlimits[] = {
    {RLIMIT_CORE, "RLIMIT_CORE", 0, 0},
    {RLIMIT_NOFILE, "RLIMIT_NOFILE", 1024, 65536},
};
const size_t keep_n_default_rlimits = ARRAY_SIZE(keep_default_rlimits);
