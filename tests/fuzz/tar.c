/* A tar from a text description, so that the fuzzer mutates names, link
 * targets and contents rather than header checksums (see fuzz.h). */
#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "util.h"

#define MARK "=== "

/* The next record: [p, end) holds "TYPE NAME[ -> TARGET]\nCONTENT". */
static void add_record(struct archive *a, const char *p, size_t n, const char *lead)
{
  char type = 'f';
  const char *nl = memchr(p, '\n', n);
  size_t hl = nl ? (size_t) (nl - p) : n;
  cleanup_free char *head = NULL;
  if (lead) {
    head = xstrdup(lead);
    nl = p - 1;
    hl = 0;
  } else {
    if (hl < 3 || p[1] != ' ')
      return;
    type = p[0];
    head = strndup(p + 2, hl - 2);
    if (head == NULL)
      die("out of memory");
  }
  const char *content = nl ? nl + 1 : p + n;
  size_t clen = (size_t) (p + n - content);
  char *target = NULL;
  char *arrow = strstr(head, " -> ");
  if (arrow) {
    *arrow = '\0';
    target = arrow + 4;
  }
  struct archive_entry *e = archive_entry_new();
  archive_entry_set_pathname(e, head);
  archive_entry_set_uid(e, 0);
  archive_entry_set_gid(e, 0);
  archive_entry_set_mtime(e, 1700000000, 0);
  switch (type) {
  case 'd':
    archive_entry_set_filetype(e, AE_IFDIR);
    archive_entry_set_perm(e, 0755);
    clen = 0;
    break;
  case 'l':
    archive_entry_set_filetype(e, AE_IFLNK);
    archive_entry_set_perm(e, 0777);
    archive_entry_set_symlink(e, target ? target : "");
    clen = 0;
    break;
  case 'h':
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_hardlink(e, target ? target : "");
    clen = 0;
    break;
  case 'c':
  case 'b':
    archive_entry_set_filetype(e, type == 'c' ? AE_IFCHR : AE_IFBLK);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_rdevmajor(e, 1);
    archive_entry_set_rdevminor(e, 3);
    clen = 0;
    break;
  case 'p':
    archive_entry_set_filetype(e, AE_IFIFO);
    archive_entry_set_perm(e, 0644);
    clen = 0;
    break;
  case 's':
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 04755);
    break;
  default:
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    break;
  }
  archive_entry_set_size(e, (la_int64_t) clen);
  if (archive_write_header(a, e) >= ARCHIVE_WARN && clen > 0)
    archive_write_data(a, content, clen);
  archive_entry_free(e);
}

int fuzz_tar(const uint8_t *data, size_t size, const char *lead, int *compression)
{
  const char *p = (const char *) data, *end = p + size;
  *compression = 0;
  if (size >= 6 && (memcmp(p, "#gzip\n", 6) == 0 || memcmp(p, "#zstd\n", 6) == 0)) {
    *compression = p[1] == 'g' ? 1 : 2;
    p += 6;
  }
  int fd = fuzz_memfd(NULL, 0);
  struct archive *a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  if (*compression == 1)
    archive_write_add_filter_gzip(a);
  else if (*compression == 2)
    archive_write_add_filter_zstd(a);
  archive_write_set_bytes_in_last_block(a, 1);
  if (archive_write_open_fd(a, fd) != ARCHIVE_OK)
    die("open a tar writer: %s", archive_error_string(a));
  /* Records start at the beginning or after a newline. */
  const char *rec = p;
  bool is_lead = !(end - p >= 4 && memcmp(p, MARK, 4) == 0);
  if (!is_lead)
    rec = p + 4;
  for (;;) {
    const char *next = NULL;
    for (const char *q = rec; q + 5 <= end; q++)
      if (q[0] == '\n' && memcmp(q + 1, MARK, 4) == 0) {
        next = q;
        break;
      }
    const char *stop = next ? next : end;
    if (!is_lead || (lead && stop > rec))
      add_record(a, rec, (size_t) (stop - rec), is_lead ? lead : NULL);
    if (next == NULL)
      break;
    rec = next + 5;
    is_lead = false;
  }
  archive_write_close(a);
  archive_write_free(a);
  if (lseek(fd, 0, SEEK_SET) < 0)
    die("lseek: %m");
  return fd;
}
