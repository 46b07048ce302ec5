#include "terminal.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

int keep_tty_make_raw(int fd, struct termios *saved, keep_error **err)
{
  if (tcgetattr(fd, saved) < 0)
    return keep_fail_errno(err, "tcgetattr on the terminal");
  struct termios raw = *saved;
  cfmakeraw(&raw);
  raw.c_oflag = saved->c_oflag; /* keep output processing: the container's pty does it too */
  if (tcsetattr(fd, TCSANOW, &raw) < 0)
    return keep_fail_errno(err, "tcsetattr on the terminal");
  return 0;
}

void keep_tty_restore(int fd, const struct termios *saved)
{
  tcsetattr(fd, TCSANOW, saved);
}

void keep_tty_copy_size(int from, int to)
{
  struct winsize ws;
  if (ioctl(from, TIOCGWINSZ, &ws) == 0)
    ioctl(to, TIOCSWINSZ, &ws);
}
