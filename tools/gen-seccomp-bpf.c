/* Build-time compiler of keep's default seccomp profile: writes a C header
 * with the BPF program, so starting a container never compiles a filter. */
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>

#include "seccomp_internal.h"
#include "util.h"

int main(int argc, char **argv)
{
  if (argc != 2) {
    fprintf(stderr, "usage: gen-seccomp-bpf OUTPUT.h\n");
    return 2;
  }
  struct sc_profile p;
  sc_default_profile(0, &p);
  unsigned char *bpf = NULL;
  size_t len = 0;
  keep_error *err = NULL;
  if (sc_compile(&p, &bpf, &len, &err) < 0) {
    keep_error_print(err);
    return 1;
  }
  sc_profile_free(&p);
  FILE *f = fopen(argv[1], "we");
  if (f == NULL) {
    perror(argv[1]);
    return 1;
  }
  const struct scmp_version *v = seccomp_version();
  fprintf(f, "/* Generated at build time by gen-seccomp-bpf with libseccomp %u.%u.%u. */\n", v->major,
          v->minor, v->micro);
  fprintf(f, "static const unsigned char keep_seccomp_default_bpf[%zu] __attribute__((aligned(8))) = {", len);
  for (size_t i = 0; i < len; i++)
    fprintf(f, "%s0x%02x,", i % 16 ? "" : "\n  ", bpf[i]);
  fprintf(f, "\n};\n");
  free(bpf);
  return fclose(f) == 0 ? 0 : 1;
}
