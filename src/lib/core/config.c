#include "config.h"

#include <stdlib.h>

#include "util.h"

void keep_config_free(struct keep_config *c)
{
  strv_free(c->proc.argv);
  strv_free(c->proc.env);
  free(c->proc.cwd);
  free(c->proc.user);
  free(c->rootfs);
  free(c->id);
  free(c->hostname);
  free(c->seccomp_file);
  free(c->apparmor);
  for (size_t i = 0; i < c->n_landlock_rules; i++)
    free(c->landlock_rules[i].path);
  free(c->landlock_rules);
  for (size_t i = 0; i < c->n_mounts; i++) {
    free(c->mounts[i].src);
    free(c->mounts[i].dst);
  }
  free(c->mounts);
  for (size_t i = 0; i < c->n_secrets; i++) {
    free(c->secrets[i].name);
    free(c->secrets[i].target);
  }
  free(c->secrets);
  strv_free(c->networks);
  strv_free(c->net_aliases);
  free(c->net_ip);
  strv_free(c->publish);
  free(c->state_dir);
  free(c->cache_dir);
  strv_free(c->layers);
  free(c->layers_scratch);
  free(c->svc.name);
}
