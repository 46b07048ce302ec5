/* Shared by the libFuzzer harnesses: the entry points libFuzzer calls,
 * invariant checks that abort (so libFuzzer keeps the input), and small
 * helpers to hand an input to a parser that reads a path or a tar. */
#ifndef KEEP_FUZZ_H
#define KEEP_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An invariant of the parser under test: when it does not hold, say which
 * and abort, so libFuzzer saves the input as a crash. */
#define FUZZ_CHECK(cond, ...)                                                                                \
  do {                                                                                                       \
    if (!(cond))                                                                                             \
      fuzz_broken(__FILE__, __LINE__, #cond, __VA_ARGS__);                                                   \
  } while (0)

/* An invariant keep breaks today, reported and awaiting its fix: checked
 * only with KEEP_FUZZ_PENDING=1 in the environment, so that the fuzzer
 * looks past it meanwhile (README.md lists each).  Once fixed, make it a
 * FUZZ_CHECK. */
#define FUZZ_PENDING(cond, ...)                                                                              \
  do {                                                                                                       \
    if (fuzz_pending() && !(cond))                                                                           \
      fuzz_broken(__FILE__, __LINE__, #cond, __VA_ARGS__);                                                   \
  } while (0)

bool fuzz_pending(void);
noreturn void fuzz_broken(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The input as a NUL-terminated string (stops at an embedded NUL). */
char *fuzz_strndup(const uint8_t *data, size_t size);
/* A memfd holding the input, rewound; and its path, "/proc/self/fd/N". */
int fuzz_memfd(const void *data, size_t size);
char *fuzz_fd_path(int fd);

/* A private directory for the whole run, removed at exit. */
const char *fuzz_tmpdir(void);

/* Every error path must fill the error it returns: free it, and check. */
void fuzz_error_done(keep_error **err, int ret);

/* A tar built from a text description, written to a memfd rewound to 0
 * (an empty tar when the description has no entry).  Lines
 *   === f NAME            regular file, content up to the next "\n=== "
 *   === s NAME            set-uid regular file (mode 04755)
 *   === d NAME            directory
 *   === l NAME -> TARGET  symlink
 *   === h NAME -> TARGET  hard link
 *   === c|b|p NAME        character device, block device, FIFO
 * Text before the first "=== " is a file named `lead` (when not NULL).
 * A first line "#gzip" or "#zstd" compresses the tar; *compression gets
 * 0 (none), 1 (gzip) or 2 (zstd). */
int fuzz_tar(const uint8_t *data, size_t size, const char *lead, int *compression);

#endif
