/* SCMP_ACT_NOTIFY: hand the listener to the seccomp agent (runtime-spec
 * config-linux.md, "listenerPath" and "The Container Process State").
 *
 * During `create`, once the container's init has loaded the notify rules,
 * keep's parent connects to listenerPath and sends, in one message, the
 * container process state as JSON with the listener as SCM_RIGHTS, then
 * closes the connection and its copy of the listener.  Any failure fails
 * `create` (nothing is left behind): a container whose notify rules have
 * nobody listening would get ENOSYS where the profile asks for an agent. */
#include <jansson.h>
#include <unistd.h>

#include "oci_runtime.h"
#include "seccomp_filter.h"
#include "util.h"

int keep_oci_send_listener(const struct keep_seccomp *sc, const struct keep_oci_state *st, int fd,
                           keep_error **err)
{
  const char *path = keep_seccomp_listener_path(sc), *meta = keep_seccomp_listener_metadata(sc);
  json_t *j = json_pack("{s:s, s:[s], s:I, s:o}", "ociVersion", st->oci_version ?: "1.0.2", "fds",
                        "seccompFd", "pid", (json_int_t) st->pid, "state", keep_oci_state_json(st));
  if (meta)
    json_object_set_new(j, "metadata", json_string(meta));
  cleanup_free char *text = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  int sock = keep_unix_connect(path, "the seccomp agent's socket", err);
  if (sock < 0)
    return keep_error_wrap(err, "config.json: linux.seccomp.listenerPath");
  int r = keep_unix_send_fd(sock, text, fd, "the seccomp listener", err);
  close(sock);
  if (r < 0)
    return keep_error_wrap(err, "config.json: linux.seccomp.listenerPath `%s`", path);
  return 0;
}
