/* keep's default AppArmor profile: at least what Docker's docker-default
 * denies, and raw sockets, pivot_root and umount too.  Everything else
 * (files, sockets, capabilities) is allowed here: keep's other layers
 * (capabilities, seccomp, Landlock, read-only mounts and masks) narrow it;
 * this layer holds where one of them is switched off or has a hole. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apparmor.h"
#include "util.h"

/* The rules, with "@NAME@" where the profile's own name goes. */
static const char profile_body[] =
    "  # Files, sockets and capabilities: the other layers decide.\n"
    "  file,\n"
    "  network,\n"
    "  capability,\n"
    "\n"
    "  # No raw or packet sockets, even with CAP_NET_RAW: no forged packets\n"
    "  # (ARP or DNS spoofing of neighbours), no sniffing.\n"
    "  deny network raw,\n"
    "  deny network packet,\n"
    "\n"
    "  # The process never changes the policy that confines it.\n"
    "  deny capability mac_admin,\n"
    "  deny capability mac_override,\n"
    "\n"
    "  # No mount table changes, even with CAP_SYS_ADMIN: no cgroup v1 mount\n"
    "  # for a release_agent (CVE-2022-0492), no procfs or sysfs of its own\n"
    "  # beside the masked one, no unmounting a mask to see what it hides.\n"
    "  deny mount,\n"
    "  deny remount,\n"
    "  deny umount,\n"
    "  deny pivot_root,\n"
    "\n"
    "  # Signals and ptrace only among processes under this profile; the\n"
    "  # host (unconfined: keep, its init, an operator) may signal them.\n"
    "  signal (send, receive) peer=@NAME@,\n"
    "  signal (receive) peer=unconfined,\n"
    "  ptrace (trace, read, tracedby, readby) peer=@NAME@,\n"
    "\n"
    "  # /proc: no writes to its files outside a process's own directory:\n"
    "  # none to /proc/sys (the kernel's settings), /proc/sysrq-trigger,\n"
    "  # /proc/sysvipc...; nothing at all of the kernel's memory.\n"
    "  deny /proc/* wkx,\n"
    "  deny /proc/{[^1-9],[^1-9][^0-9],[^1-9s][^0-9y][^0-9s],[^1-9][^0-9][^0-9][^0-9/]*}/** wkx,\n"
    "  deny /proc/sys/** wkx,\n"
    "  deny /proc/sysrq-trigger rwklx,\n"
    "  deny /proc/kcore rwklx,\n"
    "  deny /proc/kmem rwklx,\n"
    "  deny /proc/mem rwklx,\n"
    "\n"
    "  # /sys: no writes except to the cgroup tree (whose own permissions and\n"
    "  # read-only mount decide), and never a cgroup v1 release_agent; nothing\n"
    "  # of the firmware, the power-capping counters (PLATYPUS, CVE-2020-8694)\n"
    "  # or the LSMs' own files.\n"
    "  deny /sys/[^f]*/** wklx,\n"
    "  deny /sys/f[^s]*/** wklx,\n"
    "  deny /sys/fs/[^c]*/** wklx,\n"
    "  deny /sys/fs/c[^g]*/** wklx,\n"
    "  deny /sys/fs/cg[^r]*/** wklx,\n"
    "  deny /sys/fs/cgroup/**/release_agent wklx,\n"
    "  deny /sys/firmware/** rwklx,\n"
    "  deny /sys/devices/virtual/powercap/** rwklx,\n"
    "  deny /sys/kernel/security/** rwklx,\n";

char *keep_apparmor_profile_text(const char *name)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  if (f == NULL)
    die("open_memstream: out of memory");
  fprintf(f,
          "# keep's default AppArmor profile, version %d: generated and loaded by keep.\n"
          "# attach_disconnected: paths outside the container's mount namespace\n"
          "# still get a name; mediate_deleted: so do deleted files.\n"
          "profile %s flags=(attach_disconnected,mediate_deleted) {\n",
          KEEP_APPARMOR_VERSION, name);
  for (const char *p = profile_body; *p;) {
    const char *at = strstr(p, "@NAME@");
    size_t n = at ? (size_t) (at - p) : strlen(p);
    fwrite(p, 1, n, f);
    if (!at)
      break;
    fputs(name, f);
    p = at + 6;
  }
  fputs("}\n", f);
  if (fclose(f) != 0 || text == NULL)
    die("open_memstream: out of memory");
  return text;
}
