/* The resources the OCI config gives as cgroup files keep has no defaults
 * for: blockIO, hugepageLimits, network, rdma, and (v2) unified.  Each
 * setting goes to the file the host has for it; a host without that file
 * gets the setting refused by name, never dropped. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "util.h"

#define RES "linux.resources."

static bool has_file(const struct keep_cgroup *cg, const char *dir, const char *file)
{
  if (cg->fake)
    return true;
  cleanup_close int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  return dfd >= 0 && faccessat(dfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

/* Write val to the first of files (NULL-ended) the cgroup has.  field names
 * the setting in errors. */
static int write_first(const struct keep_cgroup *cg, const char *dir, const char *const *files,
                       const char *val, const char *field, keep_error **err)
{
  for (size_t i = 0; files[i]; i++) {
    if (!has_file(cg, dir, files[i]))
      continue;
    if (cg_write(cg, dir, files[i], val, err) < 0)
      return keep_error_wrap(err, RES "%s", field);
    return 0;
  }
  return keep_fail(err, ENOTSUP, RES "%s: the host's cgroup has no `%s`%s%s%s", field, files[0],
                   files[1] ? " or `" : "", files[1] ? files[1] : "", files[1] ? "`" : "");
}

/* The huge page sizes this host has, for the error that names a size it
 * has not ("2MB 1GB"). */
static char *host_page_sizes(void)
{
  cleanup_dir DIR *d = opendir("/sys/kernel/mm/hugepages");
  cleanup_free char *all = xstrdup("");
  struct dirent *e;
  while (d && (e = readdir(d)) != NULL) {
    unsigned long long kb;
    char name[32];
    if (sscanf(e->d_name, "hugepages-%llukB", &kb) != 1)
      continue;
    keep_hugetlb_size_name((uint64_t) kb << 10, name, sizeof(name));
    char *t = xasprintf("%s%s%s", all, *all ? " " : "", name);
    free(all);
    all = t;
  }
  return *all ? steal_pointer(&all) : xstrdup("none");
}

static int apply_hugetlb(const struct keep_cgroup *cg, const char *dir, const struct keep_limits *l,
                         const char *suffix, keep_error **err)
{
  for (size_t i = 0; i < l->n_hugetlb; i++) {
    cleanup_free char *file = xasprintf("hugetlb.%s.%s", l->hugetlb[i].page_size, suffix);
    cleanup_free char *field = xasprintf("hugepageLimits[%zu]", i);
    if (!has_file(cg, dir, file)) {
      cleanup_free char *sizes = host_page_sizes();
      return keep_fail(err, ENOTSUP, RES "%s.pageSize: the host has no %s huge pages (it has: %s)", field,
                       l->hugetlb[i].page_size, sizes);
    }
    char val[32];
    snprintf(val, sizeof(val), "%" PRIu64, l->hugetlb[i].limit);
    const char *const files[] = {file, NULL};
    if (write_first(cg, dir, files, val, field, err) < 0)
      return -1;
  }
  return 0;
}

static int apply_lines(const struct keep_cgroup *cg, const char *dir, char *const *lines, const char *file,
                       const char *field, keep_error **err)
{
  const char *const files[] = {file, NULL};
  for (size_t i = 0; lines && lines[i]; i++)
    if (write_first(cg, dir, files, lines[i], field, err) < 0)
      return -1;
  return 0;
}

/* ---- cgroup v1 ---- */

static int v1_blkio(const struct keep_cgroup *cg, const char *d, const struct keep_limits *l,
                    keep_error **err)
{
  static const char *const weight[] = {"blkio.weight", "blkio.bfq.weight", NULL};
  static const char *const leaf[] = {"blkio.leaf_weight", NULL};
  static const char *const per_dev[][3] = {
      [KEEP_BLKIO_WEIGHT] = {"blkio.weight_device", "blkio.bfq.weight_device", NULL},
      [KEEP_BLKIO_LEAF_WEIGHT] = {"blkio.leaf_weight_device", NULL, NULL},
      [KEEP_BLKIO_READ_BPS] = {"blkio.throttle.read_bps_device", NULL, NULL},
      [KEEP_BLKIO_WRITE_BPS] = {"blkio.throttle.write_bps_device", NULL, NULL},
      [KEEP_BLKIO_READ_IOPS] = {"blkio.throttle.read_iops_device", NULL, NULL},
      [KEEP_BLKIO_WRITE_IOPS] = {"blkio.throttle.write_iops_device", NULL, NULL},
  };
  char val[64];
  if (l->blkio_weight > 0) {
    snprintf(val, sizeof(val), "%" PRId64, l->blkio_weight);
    if (write_first(cg, d, weight, val, "blockIO.weight", err) < 0)
      return -1;
  }
  if (l->blkio_leaf_weight > 0) {
    snprintf(val, sizeof(val), "%" PRId64, l->blkio_leaf_weight);
    if (write_first(cg, d, leaf, val, "blockIO.leafWeight", err) < 0)
      return -1;
  }
  for (size_t i = 0; i < l->n_blkio_devs; i++) {
    const struct keep_blkio_dev *b = &l->blkio_devs[i];
    snprintf(val, sizeof(val), "%" PRId64 ":%" PRId64 " %" PRIu64, b->major, b->minor, b->value);
    if (write_first(cg, d, per_dev[b->kind], val, b->field, err) < 0)
      return -1;
  }
  return 0;
}

int cg_v1_apply_io(const struct keep_cgroup *cg, const struct keep_limits *l, keep_error **err)
{
  const char *d;
  if ((d = cg_dir_of(cg, "blkio")) && v1_blkio(cg, d, l, err) < 0)
    return -1;
  if ((d = cg_dir_of(cg, "hugetlb")) && apply_hugetlb(cg, d, l, "limit_in_bytes", err) < 0)
    return -1;
  if (l->has_net_classid && (d = cg_dir_of(cg, "net_cls"))) {
    static const char *const classid[] = {"net_cls.classid", NULL};
    char val[16];
    snprintf(val, sizeof(val), "%" PRIu32, l->net_classid);
    if (write_first(cg, d, classid, val, "network.classID", err) < 0)
      return -1;
  }
  if ((d = cg_dir_of(cg, "net_prio")) &&
      apply_lines(cg, d, l->net_prios, "net_prio.ifpriomap", "network.priorities", err) < 0)
    return -1;
  if ((d = cg_dir_of(cg, "rdma")) && apply_lines(cg, d, l->rdma, "rdma.max", "rdma", err) < 0)
    return -1;
  return 0;
}

/* ---- cgroup v2 ---- */

static int v2_blkio(const struct keep_cgroup *cg, const char *d, const struct keep_limits *l,
                    keep_error **err)
{
  /* BFQ's weight takes blkio's own scale; io.weight (the io cost model)
   * takes 1..10000, so the value is converted as runc and crun convert it. */
  static const char *const bfq[] = {"io.bfq.weight", NULL};
  static const char *const io_weight[] = {"io.weight", NULL};
  static const char *const io_max[] = {"io.max", NULL};
  static const char *const max_key[] = {
      [KEEP_BLKIO_READ_BPS] = "rbps",
      [KEEP_BLKIO_WRITE_BPS] = "wbps",
      [KEEP_BLKIO_READ_IOPS] = "riops",
      [KEEP_BLKIO_WRITE_IOPS] = "wiops",
  };
  bool use_bfq = has_file(cg, d, "io.bfq.weight");
  char val[96];
  if (l->blkio_weight > 0) {
    snprintf(val, sizeof(val), "%" PRId64,
             use_bfq ? l->blkio_weight : keep_blkio_to_io_weight(l->blkio_weight));
    if (write_first(cg, d, use_bfq ? bfq : io_weight, val, "blockIO.weight", err) < 0)
      return -1;
  }
  for (size_t i = 0; i < l->n_blkio_devs; i++) {
    const struct keep_blkio_dev *b = &l->blkio_devs[i];
    if (b->kind == KEEP_BLKIO_WEIGHT) {
      snprintf(val, sizeof(val), "%" PRId64 ":%" PRId64 " %" PRId64, b->major, b->minor,
               use_bfq ? (int64_t) b->value : keep_blkio_to_io_weight((int64_t) b->value));
      if (write_first(cg, d, use_bfq ? bfq : io_weight, val, b->field, err) < 0)
        return -1;
      continue;
    }
    /* Leaf weights were refused before the cgroup was made. */
    snprintf(val, sizeof(val), "%" PRId64 ":%" PRId64 " %s=%" PRIu64, b->major, b->minor, max_key[b->kind],
             b->value);
    if (write_first(cg, d, io_max, val, b->field, err) < 0)
      return -1;
  }
  return 0;
}

/* unified: the config's own files, written last so they override keep's
 * (as runc and crun order them).  A key may raise keep's default memory.max
 * or pids.max: the config asked for it by name, as --memory would.  The
 * key was checked to be a plain file name (keep_cgroup_unified_key_ok), and
 * is opened relative to the cgroup directory without following links. */
static int v2_unified(const struct keep_cgroup *cg, const char *d, char *const *kv, keep_error **err)
{
  for (size_t i = 0; kv && kv[i] && kv[i + 1]; i += 2) {
    if (!has_file(cg, d, kv[i]))
      return keep_fail(err, ENOENT, RES "unified.%s: the container's cgroup has no such file", kv[i]);
    if (cg_write(cg, d, kv[i], kv[i + 1], err) < 0)
      return keep_error_wrap(err, RES "unified.%s", kv[i]);
  }
  return 0;
}

int cg_v2_apply_io(const struct keep_cgroup *cg, const char *dir, const struct keep_limits *l,
                   keep_error **err)
{
  if (v2_blkio(cg, dir, l, err) < 0 || apply_hugetlb(cg, dir, l, "max", err) < 0 ||
      apply_lines(cg, dir, l->rdma, "rdma.max", "rdma", err) < 0)
    return -1;
  return v2_unified(cg, dir, l->unified, err);
}

const char *cg_v2_io_unsupported(const struct keep_limits *l)
{
  if (l->blkio_leaf_weight > 0)
    return "a leaf weight (" RES "blockIO.leafWeight)";
  for (size_t i = 0; i < l->n_blkio_devs; i++)
    if (l->blkio_devs[i].kind == KEEP_BLKIO_LEAF_WEIGHT)
      return "a leaf weight (" RES "blockIO.weightDevice[].leafWeight)";
  if (l->has_net_classid || l->net_prios)
    return "net_cls or net_prio (" RES "network)";
  return NULL;
}

int cg_v2_io_controllers(const struct keep_limits *l, const char *avail, const char *avail_path,
                         char (*want)[32], size_t *nw, size_t max, keep_error **err)
{
  char c[32];
  for (size_t k = 0; l->unified && l->unified[k]; k += 2) {
    if (keep_cgroup_unified_controller(l->unified[k], c, sizeof(c)) == 0)
      continue;
    if (!cg_has_word(avail, c)) {
      keep_fail(err, ENOTSUP, RES "unified.%s: cgroup v2 controller `%s` is not available in `%s`",
                l->unified[k], c, avail_path);
      return keep_error_hint(err, "remove the key, or enable the controller for this subtree");
    }
    if (cg_want_add(want, nw, max, c) < 0)
      return keep_fail(err, E2BIG, RES "unified: too many controllers");
  }
  static const struct {
    const char *ctrl, *field;
  } fixed[] = {{"io", "blockIO"}, {"hugetlb", "hugepageLimits"}, {"rdma", "rdma"}};
  bool asked[] = {l->blkio_weight > 0 || l->n_blkio_devs > 0, l->n_hugetlb > 0, l->rdma != NULL};
  for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
    if (!asked[i])
      continue;
    if (!cg_has_word(avail, fixed[i].ctrl))
      return keep_fail(err, ENOTSUP, RES "%s: cgroup v2 controller `%s` is not available in `%s`",
                       fixed[i].field, fixed[i].ctrl, avail_path);
    if (cg_want_add(want, nw, max, fixed[i].ctrl) < 0)
      return keep_fail(err, E2BIG, RES "%s: too many controllers", fixed[i].field);
  }
  return 0;
}
