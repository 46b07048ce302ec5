/* keep pull: fetch an image from a registry through the trust policy. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "image_manifest.h"
#include "image_pull.h"
#include "util.h"

static void pull_usage(FILE *out)
{
  fprintf(out,
          "Usage: keep pull [OPTIONS] NAME[:TAG|@DIGEST]\n"
          "\n"
          "Fetch an image over the registry v2 API.  Its manifest must satisfy the trust\n"
          "policy before any layer is fetched; every blob is checked against its sha256\n"
          "digest before it enters the store; the layers are unpacked at once.\n"
          "\n"
          "  --policy FILE               trust policy (default: ~/.config/containers/policy.json,\n"
          "                              then /etc/containers/policy.json; none: digests only)\n"
          "  --registries.d DIR          where signature stores are configured\n"
          "  --platform OS/ARCH[/VAR]    which image of a multi-platform index (default %s)\n"
          "  --insecure-registry HOST    allow plain HTTP to HOST (loopback always may)\n"
          "  --authfile FILE             credentials (docker config.json / containers auth.json)\n"
          "  --creds USER:PASSWORD       credentials, overriding the auth file\n"
          "  --cert-dir DIR              trust the CA in DIR/ca.crt (default: the host's CAs and\n"
          "                              /etc/containers/certs.d/HOST/ca.crt)\n"
          "  -q, --quiet                 print only the digest\n"
          "\n"
          "Examples:\n"
          "  keep pull 127.0.0.1:5000/busybox:latest\n"
          "  keep pull registry.example/app@sha256:0123...\n",
          "linux/amd64");
}

int cmd_pull(int argc, char **argv)
{
  enum { O_POLICY = 256, O_REGD, O_PLATFORM, O_INSECURE, O_AUTHFILE, O_CREDS, O_CERTS };
  static const struct option opts[] = {{"policy", required_argument, NULL, O_POLICY},
                                       {"registries.d", required_argument, NULL, O_REGD},
                                       {"platform", required_argument, NULL, O_PLATFORM},
                                       {"insecure-registry", required_argument, NULL, O_INSECURE},
                                       {"authfile", required_argument, NULL, O_AUTHFILE},
                                       {"creds", required_argument, NULL, O_CREDS},
                                       {"cert-dir", required_argument, NULL, O_CERTS},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  struct keep_pull_opts o = {0};
  cleanup_free char *platform = keep_platform_default();
  cleanup_strv char **insecure = NULL;
  bool quiet = false;
  int opt;
  optind = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
    switch (opt) {
    case O_POLICY: o.policy = optarg; break;
    case O_REGD: o.registries_d = optarg; break;
    case O_PLATFORM:
      free(platform);
      platform = xstrdup(optarg);
      break;
    case O_INSECURE: strv_push(&insecure, optarg); break;
    case O_AUTHFILE: o.registry.auth_file = optarg; break;
    case O_CREDS: o.registry.creds = optarg; break;
    case O_CERTS: o.registry.cert_dir = optarg; break;
    case 'q': quiet = true; break;
    case 'h': pull_usage(stdout); return 0;
    default:
      fprintf(stderr, "keep pull: unknown or incomplete option `%s` (see `keep pull --help`)\n",
              argv[optind - 1]);
      return EXIT_KEEP_FAILED;
    }
  }
  if (optind + 1 != argc) {
    fprintf(stderr, "keep pull: expected one image reference (see `keep pull --help`)\n");
    return EXIT_KEEP_FAILED;
  }
  o.platform = platform;
  o.registry.insecure = insecure;
  o.registry.progress = !quiet && isatty(2);
  cleanup_error keep_error *err = NULL;
  struct keep_store s;
  char digest[KEEP_DIGEST_LEN + 1];
  cleanup_free char *name = NULL;
  int r = keep_store_open(&s, false, &err);
  if (r == 0)
    r = keep_image_pull(&s, argv[optind], &o, digest, &name, &err);
  if (r == 0)
    keep_note_setid(&s, digest, name);
  keep_store_close(&s);
  if (r < 0) {
    keep_error_print(err);
    return EXIT_KEEP_FAILED;
  }
  if (quiet)
    printf("%s\n", digest);
  else
    printf("Pulled %s (%s)\n", name, digest);
  return 0;
}
