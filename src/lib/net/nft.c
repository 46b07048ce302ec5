#include "nft.h"

#include <dlfcn.h>
#include <errno.h>
#include <nftables/libnftables.h>
#include <string.h>

#include "keep_build_config.h"
#include "util.h"

/* libnftables (and what it pulls in) is loaded only by the keep that
 * programs a network: a container without one never maps it. */
struct libnft {
  struct nft_ctx *(*ctx_new)(uint32_t flags);
  void (*ctx_free)(struct nft_ctx *ctx);
  int (*buffer_output)(struct nft_ctx *ctx);
  int (*buffer_error)(struct nft_ctx *ctx);
  const char *(*get_error)(struct nft_ctx *ctx);
  int (*run)(struct nft_ctx *nft, const char *buf);
};

static int load(struct libnft *l, keep_error **err)
{
  void *h = dlopen(KEEP_LIBNFTABLES_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return keep_fail(err, ENOENT, "cannot load %s for keep's network rules: %s", KEEP_LIBNFTABLES_SONAME,
                     dlerror());
#define SYM(field, name)                                                                                     \
  if ((*(void **) &l->field = dlsym(h, name)) == NULL)                                                       \
    return keep_fail(err, ENOENT, "%s has no %s", KEEP_LIBNFTABLES_SONAME, name);
  SYM(ctx_new, "nft_ctx_new")
  SYM(ctx_free, "nft_ctx_free")
  SYM(buffer_output, "nft_ctx_buffer_output")
  SYM(buffer_error, "nft_ctx_buffer_error")
  SYM(get_error, "nft_ctx_get_error_buffer")
  SYM(run, "nft_run_cmd_from_buffer")
#undef SYM
  return 0;
}

int keep_nft_apply(const char *ruleset, keep_error **err)
{
  static struct libnft lib;
  if (lib.run == NULL && load(&lib, err) < 0)
    return -1;
  struct nft_ctx *ctx = lib.ctx_new(NFT_CTX_DEFAULT);
  if (ctx == NULL)
    return keep_fail(err, ENOMEM, "nftables: no context");
  lib.buffer_output(ctx);
  lib.buffer_error(ctx);
  int r = lib.run(ctx, ruleset);
  if (r != 0) {
    const char *msg = lib.get_error(ctx);
    size_t len = msg ? strcspn(msg, "\n") : 0;
    keep_fail(err, EIO, "nftables: load keep's rules: %.*s", (int) len, msg ? msg : "");
    keep_error_hint(err, "keep needs nf_tables in the kernel (modprobe nf_tables)");
  }
  lib.ctx_free(ctx);
  return r == 0 ? 0 : -1;
}
