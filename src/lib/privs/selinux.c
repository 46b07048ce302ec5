/* SELinux: process.selinuxLabel and linux.mountLabel where the host has
 * SELinux; refused where it has not (oci_create.c), never ignored. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "apparmor.h"
#include "selinux.h"
#include "util.h"

bool keep_selinux_enabled(void)
{
  return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

int keep_selinux_label_check(const char *label, const char *what, keep_error **err)
{
  size_t n = strlen(label), colons = 0;
  for (size_t i = 0; i < n; i++) {
    /* A quote would end the context= option it is mounted with. */
    if ((unsigned char) label[i] <= ' ' || label[i] == 0x7f || label[i] == '"')
      return keep_fail(err, EINVAL, "%s `%s`: an SELinux label has no space, quote or control character",
                       what, keep_q(label));
    colons += label[i] == ':';
  }
  if (n == 0 || n > 4095 || colons < 2)
    return keep_fail(err, EINVAL, "%s `%s`: an SELinux label is user:role:type[:level]", what, keep_q(label));
  return 0;
}

bool keep_selinux_labels_fs(const char *fstype)
{
  return strcmp(fstype, "tmpfs") == 0 || strcmp(fstype, "mqueue") == 0 || strcmp(fstype, "devpts") == 0;
}

char *keep_selinux_mount_data(const char *data, const char *label)
{
  if (data && *data)
    return xasprintf("%s,context=\"%s\"", data, label);
  return xasprintf("context=\"%s\"", label);
}

int keep_selinux_exec_label(const char *label, keep_error **err)
{
  if (label == NULL || *label == '\0')
    return 0;
  cleanup_free char *what = xasprintf("SELinux label `%s` (process.selinuxLabel)", label);
  return keep_lsm_attr_write("exec", NULL, label, what, err);
}
