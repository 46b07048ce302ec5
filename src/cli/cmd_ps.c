/* keep ps [-a] [-q] [--no-trunc] [--format table|json]: keep run's
 * containers, as Docker lists them. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "service.h"
#include "state.h"
#include "util.h"

/* Seconds since an RFC 3339 UTC time (0 when it does not parse). */
long long keep_seconds_since(const char *rfc3339)
{
  struct tm tm = {0};
  if (rfc3339 == NULL || strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return 0;
  long long d = (long long) (time(NULL) - timegm(&tm));
  return d < 0 ? 0 : d;
}

static void human_duration(long long s, char *buf, size_t len)
{
  if (s < 60)
    snprintf(buf, len, "%lld second%s", s, s == 1 ? "" : "s");
  else if (s < 3600)
    snprintf(buf, len, "%lld minute%s", s / 60, s / 60 == 1 ? "" : "s");
  else if (s < 86400)
    snprintf(buf, len, "%lld hour%s", s / 3600, s / 3600 == 1 ? "" : "s");
  else
    snprintf(buf, len, "%lld day%s", s / 86400, s / 86400 == 1 ? "" : "s");
}

/* "Up 5 seconds", "Exited (0) 3 minutes ago", "Created", "Dead". */
static char *status_text(const struct keep_ctr *c)
{
  char d[64];
  switch (c->status) {
  case KEEP_CTR_RUNNING:
    human_duration(keep_seconds_since(json_string_value(json_object_get(c->state, "created"))), d, sizeof(d));
    return xasprintf("Up %s", d);
  case KEEP_CTR_EXITED:
    human_duration(keep_seconds_since(json_string_value(json_object_get(c->exit, "finishedAt"))), d,
                   sizeof(d));
    return xasprintf("Exited (%d) %s ago", (int) json_integer_value(json_object_get(c->exit, "exitCode")), d);
  case KEEP_CTR_CREATED: return xstrdup("Created");
  case KEEP_CTR_DEAD: break;
  }
  return xstrdup("Dead (its keep was killed: `keep rm` removes it)");
}

static char *command_text(const struct keep_ctr *c)
{
  json_t *cmd = json_object_get(c->record, "command");
  size_t i;
  json_t *v;
  char *out = xstrdup("");
  json_array_foreach (cmd, i, v) {
    char *next = xasprintf("%s%s%s", out, i ? " " : "", json_string_value(v) ?: "");
    free(out);
    out = next;
  }
  return out;
}

int cmd_service_ps(int argc, char **argv)
{
  static const struct option opts[] = {
      {"all", no_argument, NULL, 'a'},      {"quiet", no_argument, NULL, 'q'},
      {"no-trunc", no_argument, NULL, 'n'}, {"format", required_argument, NULL, 'f'},
      {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0}};
  bool all = false, quiet = false, no_trunc = false, json = false;
  int o;
  optind = 1;
  while ((o = getopt_long(argc, argv, "+aq", opts, NULL)) != -1) {
    switch (o) {
    case 'a': all = true; break;
    case 'q': quiet = true; break;
    case 'n': no_trunc = true; break;
    case 'f':
      if (strcmp(optarg, "json") != 0 && strcmp(optarg, "table") != 0) {
        fprintf(stderr, "keep ps: invalid --format `%s`: table or json\n", keep_q(optarg));
        return EXIT_KEEP_FAILED;
      }
      json = strcmp(optarg, "json") == 0;
      break;
    case 'h':
      printf("Usage: keep ps [-a] [-q] [--no-trunc] [--format table|json]\n\nList running containers "
             "(-a: all of them).\n");
      return 0;
    default: fprintf(stderr, "keep ps: unknown option (see `keep ps --help`)\n"); return EXIT_KEEP_FAILED;
    }
  }
  cleanup_free char *base = NULL;
  keep_error *err = NULL;
  if (keep_state_base(&base, &err) < 0)
    return keep_cli_fail(&err);
  cleanup_strv char **ids = keep_ctr_list(base);
  json_t *list = json_array();
  if (!json && !quiet)
    printf("%-12s  %-24s  %-20s  %-28s  %s\n", "CONTAINER ID", "IMAGE", "COMMAND", "STATUS", "NAMES");
  for (size_t i = 0; ids && ids[i]; i++) {
    struct keep_ctr c;
    if (keep_ctr_open(base, ids[i], &c, NULL) < 0 || (!all && c.status != KEEP_CTR_RUNNING)) {
      keep_ctr_free(&c);
      continue;
    }
    cleanup_free char *status = status_text(&c);
    cleanup_free char *cmd = command_text(&c);
    const char *name = keep_ctr_str(&c, "name") ?: "";
    const char *image = keep_ctr_str(&c, "image") ?: "";
    if (json) {
      json_array_append_new(
          list, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "Id", c.id, "Names", name, "Image",
                          image, "Command", cmd, "CreatedAt", keep_ctr_str(&c, "created") ?: "", "State",
                          keep_ctr_status_name(c.status), "Status", status, "Pid", (int) c.pid, "ExitCode",
                          (int) json_integer_value(json_object_get(c.exit, "exitCode"))));
    } else if (quiet) {
      printf("%.*s\n", no_trunc ? 64 : 12, c.id);
    } else {
      printf("%-12.*s  %-24.*s  %-20.*s  %-28s  %s\n", no_trunc ? 64 : 12, c.id, no_trunc ? 4096 : 24, image,
             no_trunc ? 4096 : 20, cmd, status, name);
    }
    keep_ctr_free(&c);
  }
  if (json) {
    char *text = json_dumps(list, JSON_INDENT(2));
    printf("%s\n", text);
    free(text);
  }
  json_decref(list);
  return 0;
}
