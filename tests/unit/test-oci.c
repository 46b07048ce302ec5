/* config.json parsing, mount options, container ids and cgroup paths. */
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "cgroup_internal.h"
#include "oci_spec.h"
#include "oci_state.h"
#include "tap.h"
#include "util.h"

static const char minimal[] =
    "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\", \"readonly\": true},"
    " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 1, \"gid\": 2, "
    "\"additionalGids\": [3, 4]},"
    "   \"env\": [\"A=b\"], \"noNewPrivileges\": true,"
    "   \"capabilities\": {\"bounding\": [\"CAP_KILL\"], \"effective\": [\"CAP_KILL\"]},"
    "   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 20}]},"
    " \"hostname\": \"h\","
    " \"mounts\": [{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
    "   {\"destination\": \"/data\", \"source\": \"vol\", \"options\": [\"rbind\", \"ro\", \"rslave\"]}],"
    " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}, {\"type\": \"uts\"},"
    "   {\"type\": \"network\", \"path\": \"/proc/1/ns/net\"}],"
    "   \"resources\": {\"memory\": {\"limit\": 1048576}, \"cpu\": {\"quota\": 5000, \"shares\": 512}, "
    "\"pids\": {\"limit\": 7}},"
    "   \"cgroupsPath\": \"/a/b\", \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}}}";

static void test_parse(void)
{
  struct keep_oci_spec s;
  keep_error *err = NULL;
  tap_ok(keep_oci_spec_parse("/b", minimal, &s, &err) == 0, "minimal config parses %s", err ? err->msg : "");
  TAP_EQ_STR(s.root_path, "/b/rootfs", "root.path is bundle-relative");
  tap_ok(s.root_readonly && s.process.no_new_privileges, "readonly, noNewPrivileges");
  TAP_EQ_INT(s.process.uid, 1, "uid");
  TAP_EQ_INT(s.process.n_additional_gids, 2, "additionalGids");
  TAP_EQ_INT(s.process.caps_bounding, 1ULL << 5, "CAP_KILL bounding");
  TAP_EQ_INT(s.process.rlimits[0].resource, RLIMIT_NOFILE, "rlimit type");
  TAP_EQ_INT(s.n_mounts, 2, "two mounts");
  tap_ok(s.mounts[1].bind && s.mounts[1].recursive && (s.mounts[1].flags & MS_RDONLY), "rbind,ro");
  TAP_EQ_INT(s.mounts[1].propagation, MS_SLAVE | MS_REC, "rslave");
  TAP_EQ_STR(s.mounts[1].source, "/b/vol", "bind source bundle-relative");
  tap_ok(s.ns[OCI_NS_PID] && !s.ns[OCI_NS_USER] && s.ns_path[OCI_NS_NETWORK], "namespaces and paths");
  TAP_EQ_INT(s.limits.memory_bytes, 1048576, "memory limit");
  TAP_EQ_INT(s.limits.cpu_period_us, 100000, "cpu period defaults to 100ms");
  TAP_EQ_INT(s.limits.cpu_shares, 512, "cpu shares");
  TAP_EQ_INT(s.limits.pids, 7, "pids");
  TAP_EQ_STR(s.sysctl[0], "net.ipv4.ip_forward=1", "sysctl");
  keep_oci_spec_free(&s);
}

static void test_idmap_parse(void)
{
  /* The mount's own mappings (no user namespace needed), and ridmap. */
  char *doc = xstrdup(minimal);
  char *at = strstr(doc, "\"rslave\"]}");
  char *text =
      xasprintf("%.*s\"ridmap\"], \"uidMappings\": [{\"containerID\": 500, \"hostID\": 7, \"size\": 2}],"
                " \"gidMappings\": [{\"containerID\": 1, \"hostID\": 8, \"size\": 3}]}%s",
                (int) (at - doc), doc, at + strlen("\"rslave\"]}"));
  struct keep_oci_spec s;
  keep_error *err = NULL;
  tap_ok(keep_oci_spec_parse("/b", text, &s, &err) == 0, "a bind with ridmap and its own mappings parses %s",
         err ? err->msg : "");
  if (err == NULL) {
    const struct keep_oci_mount *m = &s.mounts[1];
    TAP_EQ_INT(m->idmap, OCI_IDMAP_RECURSIVE, "ridmap");
    tap_ok(m->n_uid_map == 1 && m->uid_map[0].inside == 500 && m->uid_map[0].outside == 7 &&
               m->uid_map[0].count == 2,
           "uidMappings: containerID, hostID, size");
    tap_ok(m->n_gid_map == 1 && m->gid_map[0].inside == 1 && m->gid_map[0].outside == 8, "gidMappings");
    TAP_EQ_INT(s.mounts[0].idmap, OCI_IDMAP_NONE, "other mounts are not idmapped");
    keep_oci_spec_free(&s);
  }
  keep_error_free(&err);
  free(text);
  free(doc);
}

static void bad(const char *what, const char *from, const char *to, const char *want)
{
  char *text = xstrdup(minimal);
  char *at = strstr(text, from);
  char *doc = at ? xasprintf("%.*s%s%s", (int) (at - text), text, to, at + strlen(from)) : xstrdup("");
  struct keep_oci_spec s;
  keep_error *err = NULL;
  bool refused = at && keep_oci_spec_parse("/b", doc, &s, &err) < 0;
  tap_ok(refused && err && strstr(err->msg, want), "%s: `%s`", what, err ? err->msg : "(accepted)");
  keep_error_free(&err);
  free(doc);
  free(text);
}

static void test_errors(void)
{
  bad("version", "\"1.0.2\"", "\"0.9\"", "ociVersion");
  bad("capability", "\"CAP_KILL\"]", "\"CAP_NOPE\"]",
      "process.capabilities.bounding[0]: unknown capability `CAP_NOPE`");
  bad("ALL is not a capability", "\"CAP_KILL\"]", "\"ALL\"]", "unknown capability `ALL`");
  bad("rlimit", "RLIMIT_NOFILE", "RLIMIT_NOPE", "process.rlimits[0].type");
  bad("soft above hard", "\"soft\": 10", "\"soft\": 30", "process.rlimits[0].soft: above hard");
  /* Numbers out of the range their use allows, named by field. */
  bad("negative rlimit", "\"hard\": 20", "\"hard\": -1",
      "process.rlimits[0].hard: expected an integer from 0 to 9223372036854775807");
  bad("rlimit as a string", "\"soft\": 10", "\"soft\": \"10\"",
      "process.rlimits[0].soft: expected an integer");
  bad("rlimit missing", "\"soft\": 10, ", "", "process.rlimits[0].soft: required");
  bad("uid -1", "\"uid\": 1", "\"uid\": 4294967295",
      "process.user.uid: expected an integer from 0 to 4294967294");
  bad("gid negative", "\"gid\": 2", "\"gid\": -2",
      "process.user.gid: expected an integer from 0 to 4294967294");
  bad("umask too wide", "\"gid\": 2", "\"gid\": 2, \"umask\": 4095",
      "process.user.umask: expected an integer from 0 to 511");
  bad("additional gid -1", "[3, 4]", "[3, 4294967295]",
      "process.user.additionalGids[1]: expected an integer");
  bad("console size", "\"cwd\": \"/\"", "\"cwd\": \"/\", \"consoleSize\": {\"height\": 70000, \"width\": 80}",
      "process.consoleSize.height: expected an integer from 0 to 65535");
  bad("memory limit below -1", "\"limit\": 1048576", "\"limit\": -5",
      "linux.resources.memory.limit: expected an integer from -1");
  bad("memory limit as a float", "\"limit\": 1048576", "\"limit\": 1.5",
      "linux.resources.memory.limit: expected an integer");
  bad("cpu shares too large", "\"shares\": 512", "\"shares\": 9999999",
      "linux.resources.cpu.shares: expected an integer from 0 to 262144");
  bad("cpu quota below 1 ms", "\"quota\": 5000", "\"quota\": 5",
      "linux.resources.cpu.quota: expected an integer from 1000");
  bad("cpu period above 1 s", "\"quota\": 5000", "\"quota\": 5000, \"period\": 2000000",
      "linux.resources.cpu.period: expected an integer from 0 to 1000000");
  bad("pids limit too large", "\"limit\": 7", "\"limit\": 99999999999",
      "linux.resources.pids.limit: expected an integer from -1 to 4194304");
  bad("device major", "\"cgroupsPath\"",
      "\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 5000, \"minor\": 1}], "
      "\"cgroupsPath\"",
      "linux.devices[0].major: expected an integer from 0 to 4095");
  bad("device file mode", "\"cgroupsPath\"",
      "\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 1, \"fileMode\": "
      "16777216}], \"cgroupsPath\"",
      "linux.devices[0].fileMode: 16777216 is not a file mode");
  bad("hook timeout", "\"hostname\": \"h\",",
      "\"hostname\": \"h\", \"hooks\": {\"prestart\": [{\"path\": \"/bin/true\", \"timeout\": 9999999999}]},",
      "hooks.prestart[0].timeout: expected an integer from 1 to 2147483647");
  bad("hostname longer than 64", "\"hostname\": \"h\"",
      "\"hostname\": \"hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh\"",
      "hostname: longer than 64");
  bad("root.path of the wrong type", "\"path\": \"rootfs\"", "\"path\": 5", "root.path: expected a string");
  bad("process.args of the wrong type", "\"args\": [\"sh\"]", "\"args\": \"sh\"",
      "process.args: expected an array of strings");
  bad("uid type", "\"uid\": 1", "\"uid\": \"x\"", "process.user.uid");
  bad("cwd relative", "\"cwd\": \"/\"", "\"cwd\": \"x\"", "process.cwd");
  bad("namespace twice", "{\"type\": \"uts\"}", "{\"type\": \"pid\"}", "linux.namespaces[2].type");
  bad("hostname without uts", "{\"type\": \"uts\"},", "", "uts namespace");
  bad("mount destination", "\"/data\"", "\"data\"", "mounts[1].destination");
  bad("bind without source", "\"source\": \"vol\", ", "", "mounts[1].source");
  bad("idmap without mappings or a user namespace", "\"rslave\"", "\"idmap\"",
      "mounts[1].options: `idmap` without uidMappings and gidMappings needs a user namespace");
  bad("idmap and ridmap together", "\"rslave\"", "\"idmap\", \"ridmap\"", "mounts[1].options[3]");
  bad("mappings in the option", "\"rslave\"", "\"idmap=uids=0-1-1\"", "mounts[1].options[2]");
  bad("idmap on a proc mount", "\"source\": \"proc\"", "\"source\": \"proc\", \"options\": [\"idmap\"]",
      "mounts[0].options: idmapped mounts are supported for bind mounts only");
  bad("mount uidMappings without gidMappings", "\"source\": \"vol\",",
      "\"source\": \"vol\", \"uidMappings\": [{\"containerID\": 0, \"hostID\": 9, \"size\": 1}],",
      "mounts[1].gidMappings: required with uidMappings");
  bad("mount mappings overlapping", "\"source\": \"vol\",",
      "\"source\": \"vol\", \"gidMappings\": [{\"containerID\": 0, \"hostID\": 9, \"size\": 1}],"
      " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 9, \"size\": 5}, {\"containerID\": 7, \"hostID\": "
      "13, \"size\": 1}],",
      "mounts[1].uidMappings[1]: overlaps mounts[1].uidMappings[0]");
  bad("mount mapping past 2^32", "\"source\": \"vol\",",
      "\"source\": \"vol\", \"gidMappings\": [{\"containerID\": 0, \"hostID\": 4294967295, \"size\": 2}],"
      " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 9, \"size\": 1}],",
      "mounts[1].gidMappings[0]: the range goes past 4294967295");
  bad("mount mapping of size 0", "\"source\": \"vol\",",
      "\"source\": \"vol\", \"gidMappings\": [{\"containerID\": 0, \"hostID\": 9, \"size\": 0}],"
      " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 9, \"size\": 1}],",
      "mounts[1].gidMappings[0].size: must be at least 1");
  bad("linux.uidMappings overlapping on the host side", "\"namespaces\": [",
      "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}], \"uidMappings\": "
      "[{\"containerID\": 0,"
      " \"hostID\": 1, \"size\": 2}, {\"containerID\": 5, \"hostID\": 2, \"size\": 1}], \"namespaces\": "
      "[{\"type\": \"user\"}, ",
      "linux.uidMappings[1]: overlaps linux.uidMappings[0]");
  bad("env not KEY=VALUE", "\"A=b\"", "\"Ab\"", "process.env[0]");
  bad("sysctl path", "net.ipv4.ip_forward", "../../etc", "linux.sysctl");
  bad("uidMappings without userns", "\"cgroupsPath\"",
      "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}], \"cgroupsPath\"",
      "linux.uidMappings");
  bad("userns without mappings", "{\"type\": \"pid\"}", "{\"type\": \"user\"}, {\"type\": \"pid\"}",
      "uidMappings");
  bad("malformed", "\"root\"", "root", "line 1");
}

/* Values other managers write that are in range: podman's device fileMode
 * carries the file type bits; Docker's -1 means "no limit". */
static void test_ranges_accepted(void)
{
  const char *from = "\"cgroupsPath\"";
  const char *to = "\"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229,"
                   " \"fileMode\": 8630, \"uid\": 0, \"gid\": 0}], \"cgroupsPath\"";
  const char *at = strstr(minimal, from);
  char *doc = xasprintf("%.*s%s%s", (int) (at - minimal), minimal, to, at + strlen(from));
  char *doc2 = NULL;
  const char *mem = "\"limit\": 1048576";
  at = strstr(doc, mem);
  doc2 = xasprintf("%.*s\"limit\": -1, \"swap\": -1%s", (int) (at - doc), doc, at + strlen(mem));
  struct keep_oci_spec s;
  keep_error *err = NULL;
  tap_ok(keep_oci_spec_parse("/b", doc2, &s, &err) == 0 && s.n_devices == 1 && s.devices[0].mode == 0666,
         "fileMode 8630 (S_IFCHR|0666) and memory -1 accepted %s", err ? err->msg : "");
  if (err == NULL)
    keep_oci_spec_free(&s);
  keep_error_free(&err);
  free(doc);
  free(doc2);
}

static void test_ids_and_paths(void)
{
  tap_ok(keep_oci_id_valid("abc-1_2.3"), "plain id");
  tap_ok(!keep_oci_id_valid("../x") && !keep_oci_id_valid("a/b") && !keep_oci_id_valid("") &&
             !keep_oci_id_valid("..") && !keep_oci_id_valid("a b"),
         "ids with /, .., spaces refused");
  tap_ok(cg_rel_valid("keep/x") && cg_rel_valid("a/b/c"), "relative cgroup paths");
  tap_ok(!cg_rel_valid("/a") && !cg_rel_valid("a/../b") && !cg_rel_valid("a//b") && !cg_rel_valid("a/") &&
             !cg_rel_valid(".."),
         "cgroup paths that climb refused");
}

/* linux.resources passed to cgroup files: what the parser keeps, and the
 * malformed ones refused by name. */
static void test_resources_io(void)
{
  const char *from = "\"pids\": {\"limit\": 7}}";
  const char *to =
      "\"pids\": {\"limit\": 7}, \"blockIO\": {\"weight\": 500, \"weightDevice\": [{\"major\": 8, \"minor\": "
      "0, "
      "\"weight\": 600}], \"throttleReadBpsDevice\": [{\"major\": 8, \"minor\": 0, \"rate\": 1048576}]}, "
      "\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}], \"network\": {\"classID\": 17, "
      "\"priorities\": [{\"name\": \"eth0\", \"priority\": 5}]}, \"rdma\": {\"mlx5_1\": {\"hcaHandles\": "
      "3}}, "
      "\"unified\": {\"memory.high\": \"1000\"}}";
  const char *at = strstr(minimal, from);
  char *doc = xasprintf("%.*s%s%s", (int) (at - minimal), minimal, to, at + strlen(from));
  struct keep_oci_spec s;
  keep_error *err = NULL;
  tap_ok(keep_oci_spec_parse("/b", doc, &s, &err) == 0,
         "blockIO, hugepageLimits, network, rdma, unified parse %s", err ? err->msg : "");
  if (err == NULL) {
    const struct keep_limits *l = &s.limits;
    TAP_EQ_INT(l->blkio_weight, 500, "blockIO.weight");
    tap_ok(l->n_blkio_devs == 2 && l->blkio_devs[0].kind == KEEP_BLKIO_WEIGHT &&
               l->blkio_devs[0].value == 600 && l->blkio_devs[1].kind == KEEP_BLKIO_READ_BPS &&
               l->blkio_devs[1].value == 1048576,
           "weightDevice and throttleReadBpsDevice in order");
    TAP_EQ_STR(l->blkio_devs[1].field, "blockIO.throttleReadBpsDevice[0]",
               "each device setting knows its name");
    tap_ok(l->n_hugetlb == 1 && strcmp(l->hugetlb[0].page_size, "2MB") == 0 && l->hugetlb[0].limit == 4194304,
           "hugepageLimits");
    tap_ok(l->has_net_classid && l->net_classid == 17 && l->net_prios &&
               strcmp(l->net_prios[0], "eth0 5") == 0,
           "network classID and priorities");
    tap_ok(l->rdma && strcmp(l->rdma[0], "mlx5_1 hca_handle=3") == 0, "rdma.max line");
    tap_ok(l->unified && strcmp(l->unified[0], "memory.high") == 0 && strcmp(l->unified[1], "1000") == 0,
           "unified key and value");
    keep_oci_spec_free(&s);
  }
  keep_error_free(&err);
  free(doc);
  static const char *const bads[][2] = {
      {"\"unified\": {\"../cgroup.procs\": \"1\"}", "linux.resources.unified: `../cgroup.procs`"},
      {"\"unified\": {\"cgroup.procs\": \"1\"}", "cgroup core file"},
      {"\"unified\": {\"pids.max\": 10}", "linux.resources.unified.pids.max: expected a one-line string"},
      {"\"hugepageLimits\": [{\"pageSize\": \"2048KB\", \"limit\": 1}]",
       "hugepageLimits[0].pageSize: `2048KB`"},
      {"\"hugepageLimits\": [{\"pageSize\": \"2MB\"}]", "hugepageLimits[0].limit: required"},
      {"\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": 8, \"rate\": 1}]}",
       "blockIO.throttleReadBpsDevice[0]: major and minor are required"},
      {"\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 1001}]}",
       "blockIO.weightDevice[0].weight"},
      {"\"network\": {\"priorities\": [{\"name\": \"eth0 1\\nlo\", \"priority\": 1}]}",
       "network.priorities[0].name"},
      {"\"rdma\": {\"mlx5 1\": {\"hcaHandles\": 1}}", "rdma: `mlx5 1` is not an RDMA device name"},
  };
  for (size_t i = 0; i < ARRAY_SIZE(bads); i++) {
    cleanup_free char *with = xasprintf("\"pids\": {\"limit\": 7}, %s}", bads[i][0]);
    bad("resources", from, with, bads[i][1]);
  }
}

int main(void)
{
  test_parse();
  test_errors();
  test_ranges_accepted();
  test_idmap_parse();
  test_ids_and_paths();
  test_resources_io();
  return tap_done();
}
