/* Secrets: names, the --secret syntax, and the store (in a temp dir). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "secret.h"
#include "tap.h"
#include "util.h"

static void test_names(void)
{
  const char *good[] = {"a", "db_password", "tls.key", "A-1", "x9"};
  for (size_t i = 0; i < ARRAY_SIZE(good); i++)
    tap_ok(keep_secret_name_check(good[i], NULL) == 0, "name `%s` taken", good[i]);
  const char *bad[] = {"",   ".",  "..", "../x", "a/b", "/a", ".hidden",
                       "a.", "-a", "_a", "a b",  "a:b", "é",  ".tmp-0123"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
    tap_ok(keep_secret_name_check(bad[i], NULL) < 0, "name `%s` refused", bad[i]);
  char long_name[KEEP_SECRET_NAME_MAX + 2];
  memset(long_name, 'a', sizeof(long_name) - 1);
  long_name[sizeof(long_name) - 1] = '\0';
  tap_ok(keep_secret_name_check(long_name, NULL) < 0, "a name of %d characters refused",
         KEEP_SECRET_NAME_MAX + 1);
  long_name[KEEP_SECRET_NAME_MAX] = '\0';
  tap_ok(keep_secret_name_check(long_name, NULL) == 0, "a name of %d characters taken", KEEP_SECRET_NAME_MAX);
  keep_error *err = NULL;
  tap_ok(keep_secret_name_check("a/b", &err) < 0 && strstr(err->msg, "`a/b`") && strstr(err->msg, "no `/`"),
         "a refused name is named, with the rule");
  keep_error_free(&err);
}

static void ref_free(struct keep_secret_ref *r)
{
  free(r->name);
  free(r->target);
}

static void test_refs(void)
{
  struct keep_secret_ref r;
  tap_ok(keep_secret_ref_parse("db", &r, NULL) == 0 && strcmp(r.name, "db") == 0 &&
             strcmp(r.target, "db") == 0 && r.mode == 0400 && !r.has_uid && !r.has_gid,
         "NAME alone: target NAME, mode 0400, the process's user");
  ref_free(&r);
  tap_ok(keep_secret_ref_parse("db,target=conf/pw,uid=1000,gid=2000,mode=0440", &r, NULL) == 0 &&
             strcmp(r.target, "conf/pw") == 0 && r.has_uid && r.uid == 1000 && r.has_gid && r.gid == 2000 &&
             r.mode == 0440,
         "target, uid, gid, mode");
  ref_free(&r);
  tap_ok(keep_secret_ref_parse("source=db,target=/run/secrets/x//./y", &r, NULL) == 0 &&
             strcmp(r.name, "db") == 0 && strcmp(r.target, "x/y") == 0,
         "Docker's source=, an absolute target below /run/secrets, normalised");
  ref_free(&r);
  tap_ok(keep_secret_ref_parse("db,type=mount,mode=600", &r, NULL) == 0 && r.mode == 0600,
         "Podman's type=mount");
  ref_free(&r);
  const char *bad[] = {"",
                       "target=x",
                       "a/b",
                       "..",
                       "db,target=/etc/passwd",
                       "db,target=/run/secrets",
                       "db,target=/run/secretsx/y",
                       "db,target=../x",
                       "db,target=a/../../x",
                       "db,target=.",
                       "db,mode=4755",
                       "db,mode=0999",
                       "db,mode=",
                       "db,uid=-1",
                       "db,uid=65536",
                       "db,gid=x",
                       "db,type=env",
                       "db,colour=red",
                       "db,source=other",
                       "db,junk"};
  for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
    keep_error *err = NULL;
    int rc = keep_secret_ref_parse(bad[i], &r, &err);
    tap_ok(rc < 0 && err && strchr(err->msg, '\n') == NULL, "--secret `%s` refused in one line (%s)", bad[i],
           err ? err->msg : "accepted");
    keep_error_free(&err);
    ref_free(&r);
  }
  struct keep_config cfg = {0};
  tap_ok(keep_secret_ref_add(&cfg, "a,target=d/x", NULL) == 0 &&
             keep_secret_ref_add(&cfg, "b,target=d/y", NULL) == 0,
         "two secrets in one directory");
  tap_ok(keep_secret_ref_add(&cfg, "c,target=d/x", NULL) < 0, "a second secret on one target refused");
  tap_ok(keep_secret_ref_add(&cfg, "c,target=d", NULL) < 0, "a target that is another's directory refused");
  tap_ok(keep_secret_ref_add(&cfg, "c,target=d/x/z", NULL) < 0, "a target below another's file refused");
  TAP_EQ_INT(cfg.n_secrets, 2, "refused ones are not added");
  keep_config_free(&cfg);
}

static char store[64];

static int mkvalue(int dirfd, const char *name, const char *text, mode_t mode)
{
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return -1;
  int r = write_all(fd, text, strlen(text));
  fchmod(fd, mode);
  close(fd);
  return r;
}

static void test_store(void)
{
  snprintf(store, sizeof(store), "/tmp/keep-unit-secret.XXXXXX");
  if (mkdtemp(store) == NULL) {
    tap_skip("mkdtemp failed", "secret store");
    return;
  }
  setenv("KEEP_STORE", store, 1);
  keep_error *err = NULL;
  char *dir = NULL;
  int dirfd = keep_secret_store_open(true, &dir, &err);
  struct stat st;
  tap_ok(dirfd >= 0 && fstat(dirfd, &st) == 0 && (st.st_mode & 07777) == 0700, "store created 0700");
  int pipefd[2];
  if (pipe(pipefd) < 0)
    return;
  write_all(pipefd[1], "s3cret\n", 7);
  close(pipefd[1]);
  tap_ok(keep_secret_create(dirfd, dir, "pw", pipefd[0], "stdin", &err) == 0, "create from a pipe");
  close(pipefd[0]);
  tap_ok(fstatat(dirfd, "pw", &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & 07777) == 0600 &&
             st.st_size == 7,
         "value 0600, whole");
  struct keep_secret_info *v = NULL;
  size_t n = 0;
  tap_ok(keep_secret_list(dirfd, &v, &n, &err) == 0 && n == 1, "one secret listed");
  keep_secret_info_free(v, n);
  char cmd[160];
  snprintf(cmd, sizeof(cmd), "test \"$(ls -A %s/secrets)\" = pw", store);
  tap_ok(system(cmd) == 0, "nothing but the value in the directory (no temp file)");
  int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  tap_ok(keep_secret_create(dirfd, dir, "empty", devnull, "stdin", &err) < 0 &&
             fstatat(dirfd, "empty", &st, AT_SYMLINK_NOFOLLOW) < 0,
         "an empty value refused, nothing made");
  keep_error_free(&err);
  close(devnull);
  int zero = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  tap_ok(keep_secret_create(dirfd, dir, "big", zero, "/dev/zero", &err) < 0 &&
             strstr(err->msg, "larger than"),
         "a value above 500 KiB refused");
  keep_error_free(&err);
  close(zero);
  int again = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  tap_ok(keep_secret_create(dirfd, dir, "pw", again, "x", &err) < 0 && strstr(err->msg, "exists"),
         "an existing secret is never replaced");
  keep_error_free(&err);
  close(again);

  mkvalue(dirfd, "open", "x", 0644);
  tap_ok(symlinkat("pw", dirfd, "link") == 0, "a symlink planted in the store");
  int fd = keep_secret_open_value(dirfd, dir, "pw", &err);
  tap_ok(fd >= 0 && (fcntl(fd, F_GETFD) & FD_CLOEXEC), "a value opens close-on-exec");
  if (fd >= 0)
    close(fd);
  tap_ok(keep_secret_open_value(dirfd, dir, "open", &err) < 0 && strstr(err->msg, "mode 0644"),
         "a world-readable value refused");
  keep_error_free(&err);
  tap_ok(keep_secret_open_value(dirfd, dir, "link", &err) < 0 && strstr(err->msg, "symlink"),
         "a symlink refused");
  keep_error_free(&err);
  tap_ok(keep_secret_open_value(dirfd, dir, "none", &err) < 0 && strstr(err->msg, "no secret `none`"),
         "a missing one named");
  keep_error_free(&err);

  mkvalue(dirfd, ".tmp-abc", "x", 0600);
  tap_ok(keep_secret_list(dirfd, &v, &n, &err) == 0 && n == 3 && strcmp(v[0].name, "link") == 0 &&
             strcmp(v[2].name, "pw") == 0,
         "list: sorted, temp files left out");
  keep_secret_info_free(v, n);
  tap_ok(keep_secret_remove(dirfd, dir, "pw", &err) == 0 && keep_secret_remove(dirfd, dir, "pw", &err) < 0,
         "rm, then rm again fails");
  keep_error_free(&err);

  fchmod(dirfd, 0755);
  close(dirfd);
  tap_ok(keep_secret_store_open(false, NULL, &err) < 0 && strstr(err->msg, "chmod 700"),
         "a store others may enter refused");
  keep_error_free(&err);
  free(dir);
  snprintf(cmd, sizeof(cmd), "rm -rf %s", store);
  tap_ok(system(cmd) == 0, "clean up");
}

int main(void)
{
  test_names();
  test_refs();
  test_store();
  return tap_done();
}
