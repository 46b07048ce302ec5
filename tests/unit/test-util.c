/* Unit tests for the shared helpers: size parsing, string vectors, errors. */
#include <string.h>

#include "error.h"
#include "tap.h"
#include "util.h"

static void test_parse_size(void)
{
  static const struct { const char *in; int ok; int64_t want; } cases[] = {
    {"1048576", 0, 1048576}, {"512m", 0, 512LL << 20}, {"512MB", 0, 512LL << 20},
    {"2g", 0, 2LL << 30}, {"1GiB", 0, 1LL << 30}, {"64k", 0, 65536}, {"10b", 0, 10},
    {"abc", -1, 0}, {"", -1, 0}, {"-5", -1, 0}, {"5x", -1, 0}, {"5mm", -1, 0},
    {"99999999999999999999", -1, 0}, {"9999999999t", -1, 0}, {" 5", -1, 0},
  };
  for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
    int64_t v = 0;
    int r = parse_size(cases[i].in, &v);
    tap_ok(r == cases[i].ok && (r < 0 || v == cases[i].want), "parse_size(`%s`)", cases[i].in);
  }
}

static void test_parse_int(void)
{
  int64_t v = 0;
  tap_ok(parse_int64("-5", &v) == 0 && v == -5, "parse_int64 negative");
  tap_ok(parse_int64("12a", &v) < 0, "parse_int64 rejects trailing junk");
  tap_ok(parse_int64("", &v) < 0, "parse_int64 rejects empty");
}

static void test_strv(void)
{
  cleanup_strv char **v = NULL;
  strv_push(&v, "a");
  strv_push(&v, "b");
  TAP_EQ_INT(strv_len(v), 2, "strv_len");
  cleanup_strv char **d = strv_dup(v);
  TAP_EQ_STR(d[1], "b", "strv_dup copies");
}

static void test_errors(void)
{
  cleanup_error keep_error *err = NULL;
  keep_fail(&err, 2, "open `%s`", "/x");
  keep_fail(&err, 5, "second error must not overwrite the first");
  keep_error_wrap(&err, "mount volume");
  char *s = keep_error_format(err);
  TAP_EQ_STR(s, "keep: mount volume: open `/x`: No such file or directory", "error format and wrap");
  free(s);
  keep_error_hint(&err, "create it first");
  s = keep_error_format(err);
  tap_ok(strstr(s, "(create it first)") != NULL, "hint appended");
  free(s);
}

static void test_random_hex(void)
{
  char a[65], b[65];
  tap_ok(random_hex(a, 64, NULL) == 0 && random_hex(b, 64, NULL) == 0 && strcmp(a, b) != 0 &&
             strlen(a) == 64 && strspn(a, "0123456789abcdef") == 64,
         "random_hex gives distinct hex ids");
}

int main(void)
{
  test_parse_size();
  test_parse_int();
  test_strv();
  test_errors();
  test_random_hex();
  return tap_done();
}
