/* keep run IMAGE: turn an image in the store into a container config. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "image.h"
#include "image_run.h"
#include "rootfs.h"
#include "util.h"

void keep_image_hold_release(struct keep_image_hold *h)
{
  for (size_t i = 0; i < h->n; i++)
    close(h->fds[i]);
  free(h->fds);
  h->fds = NULL;
  h->n = 0;
}

/* Hold each layer locked shared while the container runs: `keep gc` skips
 * a layer it cannot lock exclusively. */
static int hold_layers(char *const *dirs, struct keep_image_hold *h, keep_error **err)
{
  for (size_t i = 0; dirs[i]; i++) {
    int fd = open(dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_SH) < 0) {
      if (fd >= 0)
        close(fd);
      return keep_fail_errno(err, "lock layer `%s`", dirs[i]);
    }
    h->fds = xrealloc(h->fds, (h->n + 1) * sizeof(int));
    h->fds[h->n++] = fd;
  }
  return 0;
}

static int apply_config(struct keep_config *c, const struct keep_image_config *ic, const char *entrypoint,
                        keep_error **err)
{
  cleanup_strvb struct strv_builder argv = {0};
  if (entrypoint == NULL)
    strvb_add_all(&argv, ic->entrypoint);
  else if (*entrypoint)
    strvb_add(&argv, entrypoint);
  /* Docker's rule: arguments given replace Cmd, never the Entrypoint; a
   * new --entrypoint drops the image's Cmd too. */
  char *const *args = c->proc.argv ? c->proc.argv : entrypoint ? NULL : ic->cmd;
  strvb_add_all(&argv, args);
  if (argv.n > KEEP_MAX_ARGS)
    return keep_fail(err, 0,
                     "the command (image Entrypoint and Cmd, or the arguments given) has more than %d "
                     "arguments",
                     KEEP_MAX_ARGS);
  strv_free(c->proc.argv);
  c->proc.argv = strvb_finish(&argv);

  /* The image's variables first, so -e and --env-file override them. */
  cleanup_strvb struct strv_builder env = {0};
  strvb_add_all(&env, ic->env);
  strvb_add_all(&env, c->proc.env);
  if (env.n > KEEP_MAX_ENV)
    return keep_fail(err, 0, "the image's Env and -e/--env-file together have more than %d variables",
                     KEEP_MAX_ENV);
  strv_free(c->proc.env);
  c->proc.env = strvb_finish(&env);

  if (c->proc.cwd == NULL && ic->workdir)
    c->proc.cwd = xstrdup(ic->workdir);
  if (c->proc.user == NULL && ic->user)
    c->proc.user = xstrdup(ic->user);
  if (ic->stop_signal && c->stop_signal == 0 && keep_signal_parse(ic->stop_signal, &c->stop_signal) < 0)
    return keep_fail(err, 0, "image config.config.StopSignal: unknown signal `%s`", keep_q(ic->stop_signal));
  return 0;
}

/* overlayfs mounted from a user namespace needs the module and Linux 5.11. */
static bool overlay_usable(void)
{
  cleanup_free char *fs = NULL;
  cleanup_error keep_error *e = NULL;
  if (read_file_at(AT_FDCWD, "/proc/filesystems", &fs, NULL, &e) < 0 || strstr(fs, "\toverlay\n") == NULL)
    return false;
  struct utsname u;
  unsigned maj = 0, min = 0;
  return uname(&u) == 0 && sscanf(u.release, "%u.%u", &maj, &min) == 2 &&
         (maj > 5 || (maj == 5 && min >= 11));
}

int keep_image_configure(struct keep_config *c, const char *ref, const char *entrypoint, const char *driver,
                         struct keep_image_hold *hold, char **notice, keep_error **err)
{
  *notice = NULL;
  struct keep_store s;
  int r = -1;
  cleanup_free char *digest = NULL;
  struct keep_image img = {0};
  char **dirs = NULL;
  cleanup_free char *scratch = NULL;
  if (keep_store_open(&s, false, err) < 0 || keep_image_resolve(&s, ref, &digest, err) < 0 ||
      keep_image_open(&s, digest, &img, err) < 0 || keep_image_layer_dirs(&s, &img, &dirs, err) < 0)
    goto out;
  if (img.manifest.n_layers == 0) {
    keep_fail(err, 0, "image `%s` has no layers", ref);
    goto out;
  }
  bool vfs = driver ? strcmp(driver, "vfs") == 0 : !overlay_usable();
  /* Asked for overlay: refused up front, naming vfs.  Not asked: overlay
   * where it can be mounted, and it cannot stack more than its maximum. */
  bool too_deep = keep_overlay_check_layers(img.manifest.n_layers, NULL) < 0;
  if (!vfs && too_deep && driver) {
    keep_overlay_check_layers(img.manifest.n_layers, err);
    keep_error_wrap(err, "image `%s`", keep_q(ref));
    goto out;
  }
  bool auto_vfs = !vfs && too_deep;
  vfs = vfs || too_deep;
  if (vfs) {
    if (c->read_write && auto_vfs) {
      keep_fail(err, ENOTSUP,
                "--read-write: image `%s` has %zu layers, more than overlayfs stacks (%d), and a "
                "writable image root needs overlayfs",
                ref, img.manifest.n_layers, KEEP_OVERLAY_MAX_LAYERS);
      goto out;
    }
    if (c->read_write) {
      keep_fail(err, ENOTSUP,
                "--read-write with the vfs storage driver: a writable image root needs overlayfs");
      goto out;
    }
    char *flat = keep_image_flatten(&s, &img, dirs, err);
    if (flat == NULL)
      goto out;
    strv_free(dirs);
    dirs = xcalloc(2, sizeof(char *));
    dirs[0] = flat;
    if (auto_vfs)
      *notice = xasprintf(
          "image `%s` has %zu layers, more than overlayfs stacks (%d): it runs from a merged copy of "
          "its layers (--storage-driver vfs)",
          ref, img.manifest.n_layers, KEEP_OVERLAY_MAX_LAYERS);
    else if (driver == NULL)
      *notice =
          xasprintf("overlayfs cannot be mounted here: image `%s` runs from a merged copy of its layers "
                    "(--storage-driver vfs)",
                    ref);
  } else if (img.manifest.n_layers == 1) {
    /* overlayfs stacks at least two lower layers. */
    char *empty = keep_image_empty_layer(&s, err);
    if (empty == NULL)
      goto out;
    char **two = xcalloc(3, sizeof(char *));
    two[0] = empty;
    two[1] = dirs[0];
    free(dirs);
    dirs = two;
  }
  if (hold_layers(dirs, hold, err) < 0)
    goto out;
  scratch = xasprintf("%s/layers/%u/.rw", s.root, s.uid_shift);
  if (mkdir(scratch, 0755) < 0 && errno != EEXIST) {
    keep_fail_errno(err, "create `%s`", scratch);
    goto out;
  }
  if (apply_config(c, &img.config, entrypoint, err) < 0)
    goto out;
  if (c->proc.argv == NULL || c->proc.argv[0] == NULL) {
    keep_fail(err, 0, "image `%s` names no command (no Entrypoint or Cmd): give one after the image", ref);
    goto out;
  }
  if (c->proc.user == NULL && *notice == NULL)
    *notice = xasprintf("image `%s` sets no USER: its process runs as the container's root, an unprivileged "
                        "host uid (choose another with --user)",
                        ref);
  free(c->rootfs);
  /* The overlay is attached over the top layer's directory, privately:
   * any directory would do, this one is sure to exist.  With vfs, the
   * merged tree is the root, bound read-only like a ROOTFS directory. */
  c->rootfs = xstrdup(dirs[strv_len(dirs) - 1]);
  if (!vfs) {
    c->layers = steal_pointer(&dirs);
    c->layers_scratch = steal_pointer(&scratch);
  }
  r = 0;
out:
  strv_free(dirs);
  keep_image_free(&img);
  keep_store_close(&s);
  if (r < 0)
    keep_image_hold_release(hold);
  return r;
}
