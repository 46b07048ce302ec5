/* config.json: the linux.resources keep passes to cgroup files as given:
 * blockIO, hugepageLimits, network, rdma and unified.  Checked here, before
 * anything exists; whether the host has the controller or file is the
 * cgroup driver's to say (cgroup_io.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "oci_spec.h"
#include "util.h"

#define RES "config.json: linux.resources."

/* An integer from min to max at obj.key; absent or null: *out untouched. */
static int res_int(json_t *obj, const char *key, const char *field, int64_t min, int64_t max, int64_t *out,
                   keep_error **err)
{
  json_t *v = json_object_get(obj, key);
  if (v == NULL || json_is_null(v))
    return 0;
  if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
    return keep_fail(err, 0, RES "%s: expected an integer from %lld to %lld", field, (long long) min,
                     (long long) max);
  *out = json_integer_value(v);
  return 0;
}

/* The same, required: *out is set on success. */
static int res_req(json_t *obj, const char *key, const char *field, int64_t min, int64_t max, int64_t *out,
                   keep_error **err)
{
  *out = min - 1;
  if (res_int(obj, key, field, min, max, out, err) < 0)
    return -1;
  if (*out < min)
    return keep_fail(err, 0, RES "%s: required", field);
  return 0;
}

/* A value of 0 is no setting (Docker writes "weight": 0); else the
 * kernel's blkio range, 10..1000. */
static int blkio_weight(json_t *obj, const char *key, const char *field, int64_t *out, keep_error **err)
{
  if (res_int(obj, key, field, 0, 1000, out, err) < 0)
    return -1;
  if (*out > 0 && *out < 10)
    return keep_fail(err, 0, RES "%s: expected 0 (none) or 10 to 1000", field);
  return 0;
}

static int res_array(json_t *v, const char *field, keep_error **err)
{
  if (!json_is_array(v))
    return keep_fail(err, 0, RES "%s: expected an array", field);
  if (json_array_size(v) > KEEP_MAX_ITEMS)
    return keep_fail(err, 0, RES "%s: more than %d entries", field, KEEP_MAX_ITEMS);
  return 0;
}

/* An object keyed by name (rdma devices, unified files): at most
 * KEEP_MAX_ITEMS of them. */
static int res_map(json_t *v, const char *field, keep_error **err)
{
  if (!json_is_object(v))
    return keep_fail(err, 0, RES "%s: expected an object", field);
  if (json_object_size(v) > KEEP_MAX_ITEMS)
    return keep_fail(err, 0, RES "%s: more than %d entries", field, KEEP_MAX_ITEMS);
  return 0;
}

static void add_dev(struct keep_limits *l, enum keep_blkio_kind kind, int64_t major, int64_t minor,
                    uint64_t value, char *field)
{
  l->blkio_devs = xrealloc(l->blkio_devs, (l->n_blkio_devs + 1) * sizeof(*l->blkio_devs));
  l->blkio_devs[l->n_blkio_devs++] =
      (struct keep_blkio_dev){.kind = kind, .major = major, .minor = minor, .value = value, .field = field};
}

/* A device by number: the kernel's 12-bit major and 20-bit minor. */
static int dev_number(json_t *d, const char *field, int64_t *major, int64_t *minor, keep_error **err)
{
  if (!json_is_object(d))
    return keep_fail(err, 0, RES "%s: expected an object", field);
  cleanup_free char *fmaj = xasprintf("%s.major", field), *fmin = xasprintf("%s.minor", field);
  *major = *minor = -1;
  if (res_int(d, "major", fmaj, 0, 4095, major, err) < 0 ||
      res_int(d, "minor", fmin, 0, 1048575, minor, err) < 0)
    return -1;
  if (*major < 0 || *minor < 0)
    return keep_fail(err, 0, RES "%s: major and minor are required", field);
  return 0;
}

static int parse_block_io(struct keep_limits *l, json_t *b, keep_error **err)
{
  if (!json_is_object(b))
    return keep_fail(err, 0, RES "blockIO: expected an object");
  if (blkio_weight(b, "weight", "blockIO.weight", &l->blkio_weight, err) < 0 ||
      blkio_weight(b, "leafWeight", "blockIO.leafWeight", &l->blkio_leaf_weight, err) < 0)
    return -1;
  json_t *wd = json_object_get(b, "weightDevice");
  if (wd && !json_is_null(wd)) {
    if (res_array(wd, "blockIO.weightDevice", err) < 0)
      return -1;
    size_t i;
    json_t *d;
    json_array_foreach (wd, i, d) {
      cleanup_free char *f = xasprintf("blockIO.weightDevice[%zu]", i);
      cleanup_free char *fw = xasprintf("%s.weight", f), *fl = xasprintf("%s.leafWeight", f);
      int64_t major, minor, w = 0, lw = 0;
      if (dev_number(d, f, &major, &minor, err) < 0 || blkio_weight(d, "weight", fw, &w, err) < 0 ||
          blkio_weight(d, "leafWeight", fl, &lw, err) < 0)
        return -1;
      if (w > 0)
        add_dev(l, KEEP_BLKIO_WEIGHT, major, minor, (uint64_t) w, steal_pointer(&fw));
      if (lw > 0)
        add_dev(l, KEEP_BLKIO_LEAF_WEIGHT, major, minor, (uint64_t) lw, steal_pointer(&fl));
    }
  }
  static const struct {
    const char *key;
    enum keep_blkio_kind kind;
  } throttles[] = {
      {"throttleReadBpsDevice", KEEP_BLKIO_READ_BPS},
      {"throttleWriteBpsDevice", KEEP_BLKIO_WRITE_BPS},
      {"throttleReadIOPSDevice", KEEP_BLKIO_READ_IOPS},
      {"throttleWriteIOPSDevice", KEEP_BLKIO_WRITE_IOPS},
  };
  for (size_t t = 0; t < ARRAY_SIZE(throttles); t++) {
    json_t *list = json_object_get(b, throttles[t].key);
    if (list == NULL || json_is_null(list))
      continue;
    cleanup_free char *lf = xasprintf("blockIO.%s", throttles[t].key);
    if (res_array(list, lf, err) < 0)
      return -1;
    size_t i;
    json_t *d;
    json_array_foreach (list, i, d) {
      char *f = xasprintf("%s[%zu]", lf, i);
      cleanup_free char *fr = xasprintf("%s.rate", f);
      int64_t major, minor, rate;
      if (dev_number(d, f, &major, &minor, err) < 0 || res_req(d, "rate", fr, 0, INT64_MAX, &rate, err) < 0) {
        free(f);
        return -1;
      }
      add_dev(l, throttles[t].kind, major, minor, (uint64_t) rate, f);
    }
  }
  return 0;
}

static int parse_hugepages(struct keep_limits *l, json_t *h, keep_error **err)
{
  if (res_array(h, "hugepageLimits", err) < 0)
    return -1;
  l->hugetlb = xcalloc(json_array_size(h) + 1, sizeof(*l->hugetlb));
  size_t i;
  json_t *e;
  json_array_foreach (h, i, e) {
    cleanup_free char *f = xasprintf("hugepageLimits[%zu]", i), *fl = xasprintf("%s.limit", f);
    const char *size = json_string_value(json_object_get(e, "pageSize"));
    uint64_t bytes;
    if (size == NULL || strlen(size) >= sizeof(l->hugetlb[0].page_size) ||
        !keep_hugetlb_size_parse(size, &bytes))
      return keep_fail(err, 0, RES "%s.pageSize: `%s` is not a huge page size like \"2MB\" or \"1GB\"", f,
                       size ? keep_q(size) : "(not a string)");
    int64_t limit;
    if (res_req(e, "limit", fl, 0, INT64_MAX, &limit, err) < 0)
      return -1;
    struct keep_hugetlb_limit *hl = &l->hugetlb[l->n_hugetlb++];
    snprintf(hl->page_size, sizeof(hl->page_size), "%s", size);
    hl->limit = (uint64_t) limit;
  }
  return 0;
}

/* A name written into a cgroup file as one word: an interface or an RDMA
 * device.  No space, slash or control character can reach the kernel's
 * parser. */
static bool plain_name(const char *s, size_t max)
{
  size_t n = strlen(s);
  return n > 0 && n <= max && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 &&
         s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-:@")] == '\0';
}

static int parse_network(struct keep_limits *l, json_t *n, keep_error **err)
{
  if (!json_is_object(n))
    return keep_fail(err, 0, RES "network: expected an object");
  int64_t classid = 0;
  if (res_int(n, "classID", "network.classID", 0, UINT32_MAX, &classid, err) < 0)
    return -1;
  if (classid > 0) {
    l->has_net_classid = true;
    l->net_classid = (uint32_t) classid;
  }
  json_t *p = json_object_get(n, "priorities");
  if (p == NULL || json_is_null(p) || json_array_size(p) == 0)
    return 0;
  if (res_array(p, "network.priorities", err) < 0)
    return -1;
  cleanup_strvb struct strv_builder lines = {0};
  size_t i;
  json_t *e;
  json_array_foreach (p, i, e) {
    cleanup_free char *f = xasprintf("network.priorities[%zu]", i), *fp = xasprintf("%s.priority", f);
    const char *name = json_string_value(json_object_get(e, "name"));
    if (name == NULL || !plain_name(name, 15))
      return keep_fail(err, 0, RES "%s.name: `%s` is not an interface name", f,
                       name ? keep_q(name) : "(not a string)");
    int64_t prio;
    if (res_req(e, "priority", fp, 0, UINT32_MAX, &prio, err) < 0)
      return -1;
    cleanup_free char *line = xasprintf("%s %lld", name, (long long) prio);
    strvb_add(&lines, line);
  }
  l->net_prios = strvb_finish(&lines);
  return 0;
}

static int parse_rdma(struct keep_limits *l, json_t *r, keep_error **err)
{
  if (res_map(r, "rdma", err) < 0)
    return -1;
  cleanup_strvb struct strv_builder lines = {0};
  const char *dev;
  json_t *v;
  json_object_foreach (r, dev, v) {
    /* IB_DEVICE_NAME_MAX is 64 with the NUL. */
    if (!plain_name(dev, 63))
      return keep_fail(err, 0, RES "rdma: `%s` is not an RDMA device name", keep_q(dev));
    if (!json_is_object(v))
      return keep_fail(err, 0, RES "rdma.%s: expected an object", dev);
    cleanup_free char *fh = xasprintf("rdma.%s.hcaHandles", dev), *fo = xasprintf("rdma.%s.hcaObjects", dev);
    int64_t handles = -1, objects = -1;
    if (res_int(v, "hcaHandles", fh, 0, INT32_MAX, &handles, err) < 0 ||
        res_int(v, "hcaObjects", fo, 0, INT32_MAX, &objects, err) < 0)
      return -1;
    if (handles < 0 && objects < 0)
      continue;
    char h[32] = "", o[32] = "";
    if (handles >= 0)
      snprintf(h, sizeof(h), " hca_handle=%lld", (long long) handles);
    if (objects >= 0)
      snprintf(o, sizeof(o), " hca_object=%lld", (long long) objects);
    cleanup_free char *line = xasprintf("%s%s%s", dev, h, o);
    strvb_add(&lines, line);
  }
  if (lines.n > 0)
    l->rdma = strvb_finish(&lines);
  return 0;
}

static int parse_unified(struct keep_limits *l, json_t *u, keep_error **err)
{
  if (res_map(u, "unified", err) < 0)
    return -1;
  cleanup_strvb struct strv_builder kv = {0};
  const char *key;
  json_t *v;
  json_object_foreach (u, key, v) {
    const char *why = NULL;
    if (!keep_cgroup_unified_key_ok(key, &why))
      return keep_fail(err, 0, RES "unified: `%s`: %s", keep_q(key), why);
    const char *val = json_string_value(v);
    if (val == NULL || !keep_cgroup_unified_value_ok(val))
      return keep_fail(err, 0, RES "unified.%s: expected a one-line string", key);
    strvb_add(&kv, key);
    strvb_add(&kv, val);
  }
  l->unified = strvb_finish(&kv);
  return 0;
}

int keep_oci_parse_resources_io(struct keep_limits *l, json_t *r, keep_error **err)
{
  json_t *v;
  if ((v = json_object_get(r, "blockIO")) && !json_is_null(v) && parse_block_io(l, v, err) < 0)
    return -1;
  if ((v = json_object_get(r, "hugepageLimits")) && !json_is_null(v) && parse_hugepages(l, v, err) < 0)
    return -1;
  if ((v = json_object_get(r, "network")) && !json_is_null(v) && parse_network(l, v, err) < 0)
    return -1;
  if ((v = json_object_get(r, "rdma")) && !json_is_null(v) && parse_rdma(l, v, err) < 0)
    return -1;
  if ((v = json_object_get(r, "unified")) && !json_is_null(v) && parse_unified(l, v, err) < 0)
    return -1;
  return 0;
}
