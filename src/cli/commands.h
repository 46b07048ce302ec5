#ifndef KEEP_COMMANDS_H
#define KEEP_COMMANDS_H

#include <stdbool.h>

/* Each command returns the process exit status. */
/* The one way a command fails on an error: print it (one line), free it,
 * and return the exit status for "keep failed" (125). */
struct keep_error;
int keep_cli_fail(struct keep_error **err);
/* The options of a listing command (images, secret ls): argv[*i] is
 * `--format json` (then *i moves past `json`), `--format=json`, `-q` or
 * `--quiet`; false for anything else. */
bool cli_list_opt(int argc, char **argv, int *i, bool *json, bool *quiet);
int cmd_run(int argc, char **argv);
/* keep run's flags and arguments (argv[0] is "run"), the image's config
 * applied, into cfg; what `keep run` would run, for `keep audit run`.
 * *help when --help was given (nothing else is filled then). */
struct keep_config;
struct keep_image_hold;
int keep_run_config(int argc, char **argv, struct keep_config *cfg, struct keep_image_hold *hold, bool *help,
                    struct keep_error **err);
/* Does this keep run flag take the next argument as its value? */
bool keep_run_flag_takes_value(const char *arg);
/* keep run --log-denied, and keep trace (cmd_trace.c). */
int keep_run_log_denied(struct keep_config *cfg, int *exit_code, struct keep_error **err);
int cmd_trace(int argc, char **argv);
int cmd_gc(int argc, char **argv);
/* keep secret create|ls|inspect|rm (cmd_secret.c). */
int cmd_secret(int argc, char **argv);
/* keep network create|ls|inspect|rm (cmd_network.c). */
int cmd_network(int argc, char **argv);
int cmd_seccomp(int argc, char **argv);
/* keep audit (cmd_audit.c). */
int cmd_audit(int argc, char **argv);
/* Images (cmd_image.c, cmd_pull.c): built into keep-images, which keep
 * executes for these commands (images_main.c). */
int cmd_load(int argc, char **argv);
int cmd_images(int argc, char **argv);
int cmd_rmi(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_pull(int argc, char **argv);
int cmd_sign(int argc, char **argv);
/* After a load or pull: one line when the image keeps setuid/setgid files. */
struct keep_store;
void keep_note_setid(struct keep_store *s, const char *digest, const char *name);
/* keep dispatches the image commands to keep-images (images_exec.c). */
bool keep_is_image_command(const char *cmd);
int keep_exec_images(int argc, char **argv);
/* Reclaim unreferenced blobs and layers (keep gc, keep rmi). */
int cli_store_gc(void);
struct keep_gc_stats;
void cli_print_gc(const struct keep_gc_stats *st);
/* The OCI runtime command line (cmd_oci.c, cmd_oci_exec.c). */
int cmd_oci_create(int argc, char **argv);
int cmd_oci_start(int argc, char **argv);
int cmd_oci_state(int argc, char **argv);
int cmd_oci_kill(int argc, char **argv);
int cmd_oci_delete(int argc, char **argv);
int cmd_oci_run(int argc, char **argv);
int cmd_oci_exec(int argc, char **argv);
int cmd_oci_ps(int argc, char **argv);
int cmd_oci_pause(int argc, char **argv);
int cmd_oci_resume(int argc, char **argv);
int cmd_oci_list(int argc, char **argv);
int cmd_oci_spec(int argc, char **argv);
int cmd_oci_features(int argc, char **argv);

/* Docker's verbs for keep run's containers (cmd_service.c, cmd_ps.c,
 * cmd_logs.c, cmd_inspect.c, cmd_oci_exec.c). */
struct keep_ctr;
int keep_cli_ctr_open(const char *ref, char **base, struct keep_ctr *c, struct keep_error **err);
int cmd_stop(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_service_start(int argc, char **argv);
int cmd_restart(int argc, char **argv);
int cmd_monitor_exit(int argc, char **argv);
int cmd_service_ps(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_attach(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_service_exec(int argc, char **argv);
/* Which form of a verb both Docker and the OCI have (main.c). */
bool keep_is_service_form(const char *cmd, int argc, char **argv);
long long keep_seconds_since(const char *rfc3339);

/* Global options, given before the command (as runc takes them). */
struct keep_global_opts {
  const char *root; /* --root: OCI state directory */
  const char *log;  /* --log */
  bool log_json;    /* --log-format json */
  bool debug;
};
extern struct keep_global_opts keep_global;

struct keep_command {
  const char *name;
  int (*fn)(int argc, char **argv);
  bool sealed; /* re-execute from a sealed copy of keep before running */
};

/* Exit statuses shared with docker and podman. */
#define EXIT_KEEP_FAILED 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

#endif
