/* keep run's service flags: what a detached container's monitor does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"
#include "util.h"

void keep_service_default(struct keep_service *s)
{
  *s = (struct keep_service){.stop_timeout = -1, .log_max_size = 10 << 20, .log_max_file = 3};
}

bool keep_container_name_valid(const char *name)
{
  return keep_name_valid(name, 128);
}

static int restart_flag(struct keep_service *s, const char *v, keep_error **err)
{
  int64_t n = 0;
  if (strcmp(v, "no") == 0) {
    s->restart = KEEP_RESTART_NO;
  } else if (strcmp(v, "always") == 0 || strcmp(v, "unless-stopped") == 0) {
    /* keep has no daemon to restart containers at boot: both restart a
     * container whenever it exits, unless `keep stop` stopped it. */
    s->restart = KEEP_RESTART_ALWAYS;
  } else if (strcmp(v, "on-failure") == 0) {
    s->restart = KEEP_RESTART_ON_FAILURE;
    s->restart_max = 0;
  } else if (str_has_prefix(v, "on-failure:") && parse_int64(v + 11, &n) == 0 && n > 0 && n <= 1000000) {
    s->restart = KEEP_RESTART_ON_FAILURE;
    s->restart_max = (int) n;
  } else {
    return keep_fail(err, 0, "invalid --restart `%s`: no, on-failure[:N], always or unless-stopped",
                     keep_q(v));
  }
  return 0;
}

/* --log-opt max-size=10m,max-file=3 (several --log-opt add up). */
static int log_opt(struct keep_service *s, const char *v, keep_error **err)
{
  cleanup_free char *copy = xstrdup(v);
  char *save = NULL;
  for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
    int64_t n = 0;
    if (str_has_prefix(kv, "max-size=")) {
      /* Below 4 kB a single long line would rotate the log at every write. */
      if (parse_size(kv + 9, &n) < 0 || n < 4096)
        return keep_fail(err, 0, "invalid --log-opt `%s`: max-size is a size of at least 4k, e.g. 10m",
                         keep_q(kv));
      s->log_max_size = n;
    } else if (str_has_prefix(kv, "max-file=")) {
      if (parse_int64(kv + 9, &n) < 0 || n < 1 || n > 100)
        return keep_fail(err, 0, "invalid --log-opt `%s`: max-file is a number from 1 to 100", keep_q(kv));
      s->log_max_file = (int) n;
    } else {
      return keep_fail(err, 0, "unknown --log-opt `%s` (max-size=SIZE, max-file=N)", keep_q(kv));
    }
  }
  return 0;
}

int keep_service_flag(struct keep_service *s, const char *flag, const char *value, int *stop_signal,
                      keep_error **err)
{
  if (strcmp(flag, "name") == 0) {
    if (!keep_container_name_valid(value))
      return keep_fail(err, 0,
                       "invalid --name `%s`: 1 to 128 of letters, digits and `_.-`, starting with a letter "
                       "or digit",
                       keep_q(value));
    free(s->name);
    s->name = xstrdup(value);
    return 0;
  }
  if (strcmp(flag, "restart") == 0)
    return restart_flag(s, value, err);
  if (strcmp(flag, "stop-signal") == 0) {
    if (keep_signal_parse(value, stop_signal) < 0)
      return keep_fail(err, 0, "invalid --stop-signal `%s`: a signal name or number, e.g. SIGINT",
                       keep_q(value));
    return 0;
  }
  if (strcmp(flag, "stop-timeout") == 0) {
    int64_t n = 0;
    if (parse_int64(value, &n) < 0 || n < 0 || n > 86400)
      return keep_fail(err, 0, "invalid --stop-timeout `%s`: seconds from 0 to 86400", keep_q(value));
    s->stop_timeout = (int) n;
    return 0;
  }
  if (strcmp(flag, "log-opt") == 0)
    return log_opt(s, value, err);
  return keep_fail(err, EINVAL, "unknown service flag `%s`", flag);
}
