/* keep audit config FILE|BUNDLE|ID: the CIS Docker Benchmark's section 5
 * on an OCI config.json, a bundle, or a running container of keep's. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit.h"
#include "commands.h"
#include "config.h"
#include "image_run.h"
#include "oci_state.h"
#include "run_spec.h"
#include "state.h"
#include "store.h"
#include "network.h"
#include "portfwd.h"
#include "util.h"

static void usage(FILE *out)
{
  fprintf(out, "Usage: keep audit config [OPTIONS] FILE|BUNDLE|ID\n"
               "       keep audit run [OPTIONS] -- [keep run flags] IMAGE|ROOTFS [CMD...]\n"
               "       keep audit host [OPTIONS] [--root DIR]\n"
               "       keep audit image [OPTIONS] IMAGE\n\n"
               "config: check an OCI config.json (a file, a bundle directory, or the container ID of a\n"
               "running `keep run` or OCI container) against section 5 of the CIS Docker Benchmark v1.6.0\n"
               "(container runtime) and keep's own rules.\n"
               "run: the same on the config.json keep run would run with those flags.\n"
               "host: check this host (or the /etc, /proc and /sys below DIR) for what a daemonless\n"
               "runtime needs: section 1 adapted and keep's own rules, among them whether users'\n"
               "rootless containers can have cgroup limits (a delegated cgroup v2 subtree).\n"
               "image: check an image of keep's store (section 4 and Dockle's checks): USER, HEALTHCHECK,\n"
               "secrets in Env and in layers (named, never shown), setuid and world-writable files,\n"
               "ADD of remote files, package caches, a tag rather than a digest, whether it was signed\n"
               "under the trust policy (as recorded when pulled or loaded); with --vuln-db DIR,\n"
               "the dpkg or apk packages against a directory of OSV records (offline; a database older\n"
               "than --vuln-db-max-age DAYS, default 7, is a warning).\n"
               "Levels: pass, info, warn, fail.\n\n"
               "  --format F      table (default), json, or sarif\n"
               "  --fail-on L     exit 1 when a finding is at L or above (default warn)\n\n"
               "Exit status: 0 nothing at --fail-on or above, 1 something is, 125 keep failed.\n");
}

static int report(struct keep_findings *f, const char *format, const char *subject,
                  enum keep_audit_level fail_on)
{
  cleanup_error keep_error *err = NULL;
  int r = keep_audit_print(stdout, f, format, subject, &err);
  bool bad = keep_audit_reaches(f, fail_on);
  keep_findings_free(f);
  if (r < 0)
    return keep_cli_fail(&err);
  return bad ? 1 : 0;
}

/* The config.json that `what` names: a file, a bundle, or a container. */
static char *config_path(const char *what, keep_error **err)
{
  struct stat st;
  if (stat(what, &st) == 0)
    return S_ISDIR(st.st_mode) ? xasprintf("%s/config.json", what) : xstrdup(what);
  if (keep_state_id_valid(what) || keep_oci_id_valid(what)) {
    cleanup_free char *base = NULL, *oci = keep_oci_default_root();
    if (keep_state_base(&base, NULL) == 0) {
      char *p = xasprintf("%s/%s/config.json", base, what);
      if (keep_state_id_valid(what) && stat(p, &st) == 0)
        return p;
      free(p);
    }
    char *p = xasprintf("%s/%s/config.json", oci, what);
    if (stat(p, &st) == 0)
      return p;
    free(p);
  }
  keep_fail(err, ENOENT, "`%s` is not a config.json, a bundle, or a running container", keep_q(what));
  return NULL;
}

static int audit_config(const char *what, const char *format, enum keep_audit_level fail_on)
{
  cleanup_error keep_error *err = NULL;
  cleanup_free char *path = config_path(what, &err);
  if (path == NULL)
    return keep_cli_fail(&err);
  cleanup_free char *text = NULL, *dir = xstrdup(path);
  size_t len = 0;
  char *slash = strrchr(dir, '/');
  if (slash)
    *slash = '\0';
  if (read_file_at(AT_FDCWD, path, &text, &len, &err) < 0)
    return keep_cli_fail(&err);
  struct keep_oci_spec s;
  if (keep_oci_spec_parse_len(slash ? dir : ".", text, len, &s, &err) < 0) {
    keep_error_wrap(&err, "%s", path);
    return keep_cli_fail(&err);
  }
  struct keep_audit_host h;
  keep_audit_host_probe(&h);
  struct keep_findings f = {0};
  keep_audit_config(&s, &h, &f);
  keep_oci_spec_free(&s);
  return report(&f, format, path, fail_on);
}

/* What keep run's flags say of the network that config.json cannot:
 * published ports (CIS 5.14) and networks with a way out. */
static void audit_run_network(const struct keep_config *cfg, struct keep_findings *f)
{
  const char *t514 = "Incoming container traffic is bound to a specific host interface";
  bool wide = false;
  for (size_t i = 0; cfg->publish && cfg->publish[i]; i++) {
    struct keep_port p;
    char text[96];
    if (keep_port_parse(cfg->publish[i], &p, NULL) < 0 || !p.weaker)
      continue;
    keep_port_format(&p, text, sizeof(text));
    keep_findings_add(f, "5.14", AUDIT_WARN, t514, "-p", "publish on 127.0.0.1 (the default) or one address",
                      "%s: beyond loopback", text);
    wide = true;
  }
  if (!wide)
    keep_findings_add(f, "5.14", AUDIT_PASS, t514, "", NULL, "%s",
                      cfg->publish ? "127.0.0.1 only" : "no port published");
  if (keep_net_any_egress((const char *const *) cfg->networks))
    keep_findings_add(f, "5.30", AUDIT_WARN, "Network traffic out of the container is restricted",
                      "--network", "use a network without --egress unless the container must reach out",
                      "an --egress network: connections out through NAT (never to 169.254.169.254)");
  else
    keep_findings_add(f, "5.30", AUDIT_PASS, "Network traffic out of the container is restricted", "", NULL,
                      "%s", cfg->networks ? "keep networks without egress" : "loopback only");
}

/* keep audit run -- [keep run flags] IMAGE|ROOTFS [CMD...]: the document
 * that keep run would run with these flags (run_spec.c), audited before
 * anything runs. */
static int audit_run(int argc, char **argv, const char *format, enum keep_audit_level fail_on)
{
  cleanup_error keep_error *err = NULL;
  if (argc < 1) {
    fprintf(stderr, "keep audit run: give keep run's flags and IMAGE or ROOTFS after `--` (see --help)\n");
    return EXIT_KEEP_FAILED;
  }
  cleanup_free char **run_argv = xcalloc((size_t) argc + 2, sizeof(char *));
  run_argv[0] = "run";
  memcpy(run_argv + 1, argv, (size_t) argc * sizeof(char *));
  struct keep_config cfg;
  struct keep_image_hold hold = {0};
  struct keep_userns_plan u = {0};
  cleanup_free int *volume_of_mount = NULL;
  cleanup_free char *text = NULL, *subject = NULL;
  size_t n_mounts = 0;
  bool help = false;
  int code = EXIT_KEEP_FAILED;
  if (keep_run_config(argc + 1, run_argv, &cfg, &hold, &help, &err) < 0 || keep_userns_plan(&u, &err) < 0)
    goto out;
  if (help) {
    fprintf(stderr, "keep audit run: the flags are keep run's (see `keep run --help`)\n");
    goto out;
  }
  json_t *doc = keep_run_spec(&cfg, &u, &volume_of_mount, &n_mounts, &err);
  if (doc == NULL)
    goto out;
  text = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  struct keep_oci_spec s;
  if (keep_oci_spec_parse("/", text, &s, &err) < 0)
    goto out;
  struct keep_audit_host h;
  keep_audit_host_probe(&h);
  struct keep_findings f = {0};
  keep_audit_config(&s, &h, &f);
  audit_run_network(&cfg, &f);
  keep_oci_spec_free(&s);
  subject = xasprintf("keep run %s", cfg.rootfs);
  code = report(&f, format, subject, fail_on);
out:
  if (err)
    keep_cli_fail(&err);
  keep_userns_plan_free(&u);
  keep_config_free(&cfg);
  keep_image_hold_release(&hold);
  return code;
}

int cmd_audit(int argc, char **argv)
{
  keep_progname = "keep audit";
  if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_KEEP_FAILED : 0;
  }
  bool host = strcmp(argv[1], "host") == 0, image = strcmp(argv[1], "image") == 0,
       run = strcmp(argv[1], "run") == 0;
  if (strcmp(argv[1], "config") != 0 && !host && !image && !run) {
    fprintf(stderr, "keep audit: unknown audit `%s` (config, host, image or run; see --help)\n", argv[1]);
    return EXIT_KEEP_FAILED;
  }
  static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
                                       {"fail-on", required_argument, NULL, 'F'},
                                       {"root", required_argument, NULL, 'r'},
                                       {"vuln-db", required_argument, NULL, 'v'},
                                       {"vuln-db-max-age", required_argument, NULL, 'a'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *root = "/", *vuln_db = NULL;
  int max_age = 7;
  const char *format = "table";
  enum keep_audit_level fail_on = AUDIT_WARN;
  cleanup_error keep_error *err = NULL;
  optind = 1;
  opterr = 0;
  int opt;
  argc--, argv++;
  while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
    switch (opt) {
    case 'f':
      if (strcmp(optarg, "table") != 0 && strcmp(optarg, "json") != 0 && strcmp(optarg, "sarif") != 0) {
        keep_fail(&err, 0, "unknown --format `%s`: table, json or sarif", keep_q(optarg));
        return keep_cli_fail(&err);
      }
      format = optarg;
      break;
    case 'F':
      if (keep_audit_level_parse(optarg, &fail_on, &err) < 0)
        return keep_cli_fail(&err);
      break;
    case 'r':
      if (!host) {
        fprintf(stderr, "keep audit config: --root is for `keep audit host`\n");
        return EXIT_KEEP_FAILED;
      }
      root = optarg;
      break;
    case 'v': vuln_db = optarg; break;
    case 'a': {
      char *end = NULL;
      long days = strtol(optarg, &end, 10);
      if (end == optarg || *end || days < 0 || days > 36500) {
        keep_fail(&err, 0, "invalid --vuln-db-max-age `%s`: a number of days", keep_q(optarg));
        return keep_cli_fail(&err);
      }
      max_age = (int) days;
      break;
    }
    case 'h': usage(stdout); return 0;
    default:
      fprintf(stderr, "keep audit config: unknown option `%s` (see --help)\n", argv[optind - 1]);
      return EXIT_KEEP_FAILED;
    }
  }
  if (host) {
    if (optind != argc) {
      fprintf(stderr, "keep audit host: unexpected argument `%s` (see --help)\n", argv[optind]);
      return EXIT_KEEP_FAILED;
    }
    struct stat st;
    if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
      keep_fail(&err, ENOTDIR, "--root `%s` is not a directory", keep_q(root));
      return keep_cli_fail(&err);
    }
    struct keep_findings f = {0};
    keep_audit_host(root, &f);
    return report(&f, format, root, fail_on);
  }
  if (run)
    return audit_run(argc - optind, argv + optind, format, fail_on);
  if (image) {
    if (optind != argc - 1) {
      fprintf(stderr, "keep audit image: give one IMAGE (see --help)\n");
      return EXIT_KEEP_FAILED;
    }
    struct keep_store st;
    struct keep_findings f = {0};
    int r = keep_store_open(&st, false, &err) < 0
                ? -1
                : keep_audit_image(&st, argv[optind], vuln_db, max_age, &f, &err);
    keep_store_close(&st);
    if (r < 0) {
      keep_findings_free(&f);
      return keep_cli_fail(&err);
    }
    return report(&f, format, argv[optind], fail_on);
  }
  if (optind != argc - 1) {
    fprintf(stderr, "keep audit config: give one FILE, BUNDLE or ID (see --help)\n");
    return EXIT_KEEP_FAILED;
  }
  return audit_config(argv[optind], format, fail_on);
}
