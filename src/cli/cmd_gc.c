/* keep gc: clean up after containers whose keep process was killed. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup.h"
#include "image_gc.h"
#include "store.h"
#include "commands.h"
#include "network.h"
#include "state.h"
#include "util.h"

int cmd_gc(int argc, char **argv)
{
  if (argc > 1) {
    if (strcmp(argv[1], "--help") == 0) {
      printf("Usage: keep gc\n\nRemove cgroups and state left by containers whose keep process "
             "died (killed with SIGKILL, a crash, a reboot of /run), then the image blobs and "
             "layers no tag needs.\n");
      return 0;
    }
    fprintf(stderr, "keep gc: unexpected argument `%s`\n", argv[1]);
    return EXIT_KEEP_FAILED;
  }
  cleanup_error keep_error *err = NULL;
  cleanup_free char *base = NULL;
  bool rootless = geteuid() != 0;
  int cg = keep_cgroup_gc(rootless, &err);
  if (cg < 0) {
    keep_error_print(err);
    return EXIT_KEEP_FAILED;
  }
  if (keep_state_base(&base, &err) < 0) {
    keep_error_print(err);
    return EXIT_KEEP_FAILED;
  }
  int st = keep_state_gc(base, &err);
  /* Network members whose container is gone: records, bridges, rules. */
  if (st >= 0 && keep_net_gc(base, &err) < 0)
    st = -1;
  if (st < 0) {
    keep_error_print(err);
    return EXIT_KEEP_FAILED;
  }
  printf("removed %d cgroup(s) and %d state dir(s)\n", cg, st);
  return cli_store_gc();
}

void cli_print_gc(const struct keep_gc_stats *st)
{
  char sz[32];
  keep_human_size(st->bytes, sz, sizeof(sz));
  if (st->blobs || st->layers || st->tmp)
    printf("Reclaimed %llu blobs, %llu layers, %llu temporary files (%s)\n", (unsigned long long) st->blobs,
           (unsigned long long) st->layers, (unsigned long long) st->tmp, sz);
  if (st->in_use)
    printf("Kept %llu layers a running container uses\n", (unsigned long long) st->in_use);
}

int cli_store_gc(void)
{
  cleanup_error keep_error *err = NULL;
  struct keep_store s;
  struct keep_gc_stats st;
  int r = keep_store_open(&s, true, &err);
  if (r == 0)
    r = keep_image_gc(&s, &st, &err);
  keep_store_close(&s);
  if (r < 0) {
    keep_error_print(err);
    return EXIT_KEEP_FAILED;
  }
  cli_print_gc(&st);
  return 0;
}
