/* keep trace [keep run OPTIONS] -o PROFILE.json [--merge PROFILE.json]
 *            [--landlock-out RULES] IMAGE|ROOTFS [COMMAND [ARG...]]
 * and keep run --log-denied: the run, observed by keep's tracer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "container.h"
#include "image_run.h"
#include "seccomp_filter.h"
#include "trace.h"
#include "util.h"

static void trace_usage(FILE *out)
{
  fprintf(out, "Usage: keep trace [keep run OPTIONS] -o PROFILE.json [--merge PROFILE.json]\n"
               "                  [--landlock-out RULES] IMAGE|ROOTFS [COMMAND [ARG...]]\n"
               "\n"
               "Run COMMAND as `keep run` would, with every defence on, and write the seccomp\n"
               "profile (Docker/containers format) that allows exactly the system calls it made\n"
               "after keep's own set-up, for x86_64, i386 and x32 alike: the first argument of\n"
               "clone, personality and socket only with the values seen; everything else fails\n"
               "with EPERM (ENOSYS when the kernel does not know the call, and for clone3, whose\n"
               "flags a filter cannot read: libc then uses clone).  The run itself is confined\n"
               "by the profile it would have had (keep's default, or --security-opt seccomp=FILE):\n"
               "what that profile denies is denied and not learned.\n"
               "\n"
               "  -o, --output FILE     where the profile goes (written when the workload has run)\n"
               "      --merge FILE      also allow what FILE allows (an earlier trace's profile):\n"
               "                        learn a profile over several runs; FILE may be the output\n"
               "      --log-denied      also say on stderr what the profile denied\n"
               "      --landlock-out FILE  also the paths it read, wrote and executed, as a few\n"
               "                        directory rules for `keep run --security-opt landlock=FILE`\n"
               "                        (reads and executions widened to two levels: /usr/lib,\n"
               "                        /etc; writes where they were tried, nowhere else)\n"
               "      --apparmor-out FILE  an AppArmor profile: needs AppArmor on the host\n"
               "\n"
               "Exit status: the command's, as `keep run`.\n"
               "\n"
               "Examples:\n"
               "  keep trace -o ls.json ./rootfs /bin/ls /\n"
               "  keep run --security-opt seccomp=ls.json ./rootfs /bin/ls /\n"
               "  keep trace -o sh.json --landlock-out sh.rules ./rootfs /bin/sh -c 'echo x > /tmp/f'\n"
               "  keep trace -o app.json --merge app.json busybox sh -c 'wget -qO- http://127.0.0.1'\n");
}

struct trace_opts {
  const char *output, *merge, *apparmor_out, *landlock_out;
  bool help;
};

/* The value of option `name` at argv[*i] ("--name V", "--name=V", "-o V",
 * "-oV"), or NULL when argv[*i] is not it. */
static const char *option_value(int argc, char **argv, int *i, const char *name, char short_name,
                                keep_error **err)
{
  const char *a = argv[*i];
  size_t n = strlen(name);
  const char *v = NULL;
  if (strncmp(a, "--", 2) == 0 && strncmp(a + 2, name, n) == 0 && a[2 + n] == '=')
    return a + 3 + n;
  bool bare = (strncmp(a, "--", 2) == 0 && strcmp(a + 2, name) == 0) ||
              (short_name && a[0] == '-' && a[1] == short_name && a[2] == '\0');
  if (short_name && a[0] == '-' && a[1] == short_name && a[2] != '\0')
    return a + 2;
  if (!bare)
    return NULL;
  if (*i + 1 >= argc) {
    keep_fail(err, 0, "option `%s` needs a value (see `keep trace --help`)", keep_q(a));
    return NULL;
  }
  v = argv[++*i];
  return v;
}

/* keep trace's own options, wherever they are before IMAGE|ROOTFS; the
 * rest is keep run's, in order, as argv for keep_run_config. */
static int split_args(int argc, char **argv, struct trace_opts *o, char ***run_argv, keep_error **err)
{
  struct strv_builder b = {0};
  strvb_add(&b, "trace");
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      o->help = true;
      strvb_free(&b);
      return 0;
    }
    if (strcmp(a, "--") == 0 || a[0] != '-')
      break; /* IMAGE|ROOTFS: the command's own arguments follow */
    if ((v = option_value(argc, argv, &i, "output", 'o', err)) != NULL)
      o->output = v;
    else if ((v = option_value(argc, argv, &i, "merge", 0, err)) != NULL)
      o->merge = v;
    else if ((v = option_value(argc, argv, &i, "landlock-out", 0, err)) != NULL)
      o->landlock_out = v;
    else if ((v = option_value(argc, argv, &i, "apparmor-out", 0, err)) != NULL)
      o->apparmor_out = v;
    else if (*err) {
      strvb_free(&b);
      return -1;
    } else {
      strvb_add(&b, a);
      if (keep_run_flag_takes_value(a) && i + 1 < argc)
        strvb_add(&b, argv[++i]);
    }
  }
  for (; i < argc; i++)
    strvb_add(&b, argv[i]);
  *run_argv = strvb_finish(&b);
  return 0;
}

/* `text` at `path`, whole or not at all. */
static int write_whole(const char *path, const char *text, keep_error **err)
{
  cleanup_free char *tmp = xasprintf("%s.tmp%d", path, (int) getpid());
  if (create_file_at(AT_FDCWD, tmp, text, 0644, err) < 0)
    return -1;
  if (rename(tmp, path) < 0) {
    int e = errno;
    unlink(tmp);
    errno = e;
    return keep_fail_errno(err, "rename `%s` to `%s`", keep_q(tmp), keep_q(path));
  }
  return 0;
}

/* The profile, written whole or not at all. */
static int write_profile(const char *path, const struct trace_profile *learned, keep_error **err)
{
  struct sc_profile p;
  trace_profile_rules(learned, &p);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  if (f == NULL) {
    sc_profile_free(&p);
    return keep_fail_errno(err, "open_memstream");
  }
  int r = sc_print_json(&p, f, err);
  sc_profile_free(&p);
  fclose(f);
  cleanup_free char *text = buf;
  if (r < 0)
    return -1;
  if (write_whole(path, text, err) < 0)
    return keep_error_wrap(err, "-o");
  return 0;
}

/* How many calls keep's default profile allows, for comparison. */
static size_t default_count(void)
{
  struct sc_profile p;
  sc_default_profile(0, &p);
  struct trace_profile t = {0};
  trace_profile_merge(&t, &p);
  size_t n = trace_profile_count(&t);
  trace_profile_free(&t);
  sc_profile_free(&p);
  return n;
}

/* Run cfg observed; on return the tracer is reaped and what it saw is in
 * `learned` (NULL: only logged). */
static int run_observed(struct keep_config *cfg, unsigned observe, struct trace_profile *learned,
                        struct trace_paths *paths, int *code, keep_error **err)
{
  struct keep_trace t = KEEP_TRACE_INIT;
  if (keep_trace_start(cfg, observe, paths != NULL, &t, err) < 0)
    return -1;
  int r = keep_container_run(cfg, NULL, code, err);
  if (cfg->seccomp_prepared) { /* the run failed before it took the filter */
    keep_seccomp_free(cfg->seccomp_prepared);
    cfg->seccomp_prepared = NULL;
  }
  bool started = false;
  keep_error *terr = NULL;
  int tr = keep_trace_finish(&t, learned, paths, &started, &terr);
  if (r < 0) {
    keep_error_free(&terr);
    return -1;
  }
  if (tr < 0) {
    *err = terr;
    return -1;
  }
  if (!started && learned)
    return keep_fail(err, 0, "the workload never loaded its seccomp filter: nothing was traced");
  return 0;
}

int keep_run_log_denied(struct keep_config *cfg, int *exit_code, keep_error **err)
{
  if (cfg->seccomp == KEEP_SECCOMP_UNCONFINED)
    return keep_fail(err, 0, "--log-denied: with --security-opt seccomp=unconfined no call is denied");
  return run_observed(cfg, KEEP_SECCOMP_OBSERVE_DENIED, NULL, NULL, exit_code, err);
}

int cmd_trace(int argc, char **argv)
{
  keep_progname = "keep trace";
  cleanup_error keep_error *err = NULL;
  struct trace_opts o = {0};
  cleanup_strv char **run_argv = NULL;
  struct keep_config cfg = {0};
  struct keep_image_hold hold = {0};
  struct trace_profile learned = {0};
  struct trace_paths paths = {0};
  struct sc_profile earlier = {0};
  int code = EXIT_KEEP_FAILED;
  bool help = false;
  if (split_args(argc, argv, &o, &run_argv, &err) < 0)
    goto out;
  if (o.help) {
    trace_usage(stdout);
    code = 0;
    goto out;
  }
  if (o.apparmor_out) {
    keep_fail(
        &err, ENOTSUP, "--apparmor-out `%s`: AppArmor is not enabled on this host%s", keep_q(o.apparmor_out),
        access("/sys/kernel/security/apparmor", F_OK) == 0 ? " (keep cannot write AppArmor profiles yet)"
                                                           : "");
    goto out;
  }
  if (o.output == NULL) {
    keep_fail(&err, 0,
              "no output given: keep trace -o PROFILE.json [keep run OPTIONS] IMAGE|ROOTFS [COMMAND...]");
    goto out;
  }
  /* An earlier profile is read before anything runs: a bad one fails now. */
  if (o.merge && sc_parse_json(o.merge, 0, &earlier, &err) < 0) {
    keep_error_wrap(&err, "--merge");
    goto out;
  }
  if (keep_run_config((int) strv_len(run_argv), run_argv, &cfg, &hold, &help, &err) < 0)
    goto out;
  keep_progname = "keep trace";
  if (help) {
    trace_usage(stdout);
    code = 0;
    goto out;
  }
  unsigned observe = KEEP_SECCOMP_OBSERVE_ALLOWED | (cfg.log_denied ? KEEP_SECCOMP_OBSERVE_DENIED : 0);
  if (run_observed(&cfg, observe, &learned, o.landlock_out ? &paths : NULL, &code, &err) < 0) {
    code = EXIT_KEEP_FAILED;
    goto out;
  }
  size_t seen = trace_profile_count(&learned);
  trace_profile_merge(&learned, &earlier);
  if (write_profile(o.output, &learned, &err) < 0) {
    code = EXIT_KEEP_FAILED;
    goto out;
  }
  if (o.landlock_out) {
    cleanup_free char *rules = trace_paths_rules(&paths);
    if (write_whole(o.landlock_out, rules, &err) < 0) {
      keep_error_wrap(&err, "--landlock-out");
      code = EXIT_KEEP_FAILED;
      goto out;
    }
  }
  fprintf(stderr, "%s: %s: %zu system calls allowed (%zu seen in this run; keep's default allows %zu)\n",
          keep_progname, keep_q(o.output), trace_profile_count(&learned), seen, default_count());
out:
  if (err)
    keep_error_print(err);
  sc_profile_free(&earlier);
  trace_profile_free(&learned);
  trace_paths_free(&paths);
  keep_config_free(&cfg);
  keep_image_hold_release(&hold);
  return code;
}
