/* Image configs (image_manifest.c): keep_image_config_parse, whose User,
 * Env, Entrypoint, Cmd, WorkingDir and rootfs.diff_ids shape the container.
 * Invariants: every diff_id is sha256:<64 lowercase hex> and none is
 * dropped; a working directory is absolute; the string lists are the
 * document's, in order; free leaves nothing behind. */
#include <jansson.h>
#include <string.h>

#include "digest.h"
#include "fuzz.h"
#include "image_manifest.h"
#include "util.h"

static void same_list(char **got, json_t *want, const char *what)
{
  if (!json_is_array(want)) {
    FUZZ_CHECK(got == NULL, "%s: a list from no array", what);
    return;
  }
  FUZZ_CHECK(strv_len(got) == json_array_size(want), "%s: %zu entries of %zu", what, strv_len(got),
             json_array_size(want));
  for (size_t i = 0; got && got[i]; i++)
    FUZZ_CHECK(strcmp(got[i], json_string_value(json_array_get(want, i))) == 0, "%s[%zu] changed", what, i);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  cleanup_free char *text = fuzz_strndup(data, size);
  struct keep_image_config c;
  keep_error *err = NULL;
  int r = keep_image_config_parse(text, size, &c, &err);
  fuzz_error_done(&err, r);
  if (r == 0) {
    for (size_t i = 0; c.diff_ids && c.diff_ids[i]; i++)
      FUZZ_CHECK(keep_digest_valid(c.diff_ids[i]), "diff_ids[%zu] `%s`", i, c.diff_ids[i]);
    FUZZ_CHECK(c.workdir == NULL || c.workdir[0] == '/', "WorkingDir `%s`", c.workdir);
    json_t *j = json_loads(text, 0, NULL);
    json_t *cfg = json_object_get(j, "config");
    same_list(c.diff_ids, json_object_get(json_object_get(j, "rootfs"), "diff_ids"), "diff_ids");
    same_list(c.env, json_object_get(cfg, "Env"), "Env");
    same_list(c.entrypoint, json_object_get(cfg, "Entrypoint"), "Entrypoint");
    same_list(c.cmd, json_object_get(cfg, "Cmd"), "Cmd");
    json_decref(j);
    keep_image_config_free(&c);
  }
  FUZZ_CHECK(c.env == NULL && c.diff_ids == NULL && c.user == NULL,
             "config fields left after free or failure");
  return 0;
}
