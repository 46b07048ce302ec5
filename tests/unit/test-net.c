/* The -p/--publish syntax: what it takes, and the one-line refusal of
 * everything else. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "portfwd.h"
#include "tap.h"
#include "util.h"

static void good(const char *spec, int proto, const char *ip, unsigned host, unsigned ctr, bool weaker)
{
  struct keep_port p;
  keep_error *err = NULL;
  int r = keep_port_parse(spec, &p, &err);
  tap_ok(r == 0 && p.proto == proto && strcmp(p.host_ip, ip) == 0 && p.host_port == host &&
             p.ctr_port == ctr && p.weaker == weaker,
         "`%s` -> %s %s:%u:%u%s (%s)", spec, proto == IPPROTO_UDP ? "udp" : "tcp", ip, host, ctr,
         weaker ? " weaker" : "", r == 0 ? p.host_ip : err->msg);
  keep_error_free(&err);
}

/* Refused, in one line that names the spec and says why. */
static void bad(const char *spec, const char *why)
{
  struct keep_port p;
  keep_error *err = NULL;
  char quoted[256];
  snprintf(quoted, sizeof(quoted), "`%s`", spec);
  int r = keep_port_parse(spec, &p, &err);
  tap_ok(r < 0 && err && strstr(err->msg, quoted) && strstr(err->msg, why) && !strchr(err->msg, '\n'),
         "`%s` refused: %s", spec, err ? err->msg : "(accepted)");
  keep_error_free(&err);
}

int main(void)
{
  good("8080:80", IPPROTO_TCP, "127.0.0.1", 8080, 80, false);
  good("8080:80/tcp", IPPROTO_TCP, "127.0.0.1", 8080, 80, false);
  good("5353:53/udp", IPPROTO_UDP, "127.0.0.1", 5353, 53, false);
  good(":80", IPPROTO_TCP, "127.0.0.1", 0, 80, false);
  good("0:80", IPPROTO_TCP, "127.0.0.1", 0, 80, false);
  good("127.0.0.1::80", IPPROTO_TCP, "127.0.0.1", 0, 80, false);
  good("127.0.0.2:8080:80", IPPROTO_TCP, "127.0.0.2", 8080, 80, false);
  good("0.0.0.0:8080:80", IPPROTO_TCP, "0.0.0.0", 8080, 80, true);
  good("192.168.1.10:443:8443/tcp", IPPROTO_TCP, "192.168.1.10", 443, 8443, true);
  good("[::1]:8080:80", IPPROTO_TCP, "::1", 8080, 80, false);
  good("[::1]::80/udp", IPPROTO_UDP, "::1", 0, 80, false);
  good("[::]:8080:80", IPPROTO_TCP, "::", 8080, 80, true);
  good("[0:0:0:0:0:0:0:1]:1:65535", IPPROTO_TCP, "::1", 1, 65535, false);
  good("[2001:DB8::1]:65535:1", IPPROTO_TCP, "2001:db8::1", 65535, 1, true);

  bad("", "empty");
  bad("80", "missing host port");
  bad("80/udp", "missing host port");
  bad("8080:", "missing container port");
  bad("1.2.3.4:80", "missing container port");
  bad("1.2.3.4:8080:", "missing container port");
  bad("[::1]:80", "missing container port");
  bad("8080:0", "container port is a number from 1 to 65535");
  bad("8080:65536", "container port is a number from 1 to 65535");
  bad("8080:99999999", "container port is a number from 1 to 65535");
  bad("65536:80", "host port is a number");
  bad("-1:80", "host port is a number");
  bad("+80:80", "host port is a number");
  bad(" 80:80", "host port is a number");
  bad("80:80 ", "container port is a number");
  bad("80:http", "container port is a number");
  bad("8000-8010:80-90", "host port is a number");
  bad("8080:80/sctp", "tcp or udp");
  bad("8080:80/TCP", "tcp or udp");
  bad("8080:80/", "tcp or udp");
  bad("8080:80/tcp/udp", "tcp or udp");
  bad("1.2.3:8080:80", "not an IPv4 address");
  bad("256.0.0.1:8080:80", "not an IPv4 address");
  bad("localhost:8080:80", "not an IPv4 address");
  bad(":8080:80", "empty address");
  bad("::1:8080:80", "in brackets");
  bad("fe80::1:8080", "in brackets");
  bad("[::1]8080:80", "must follow the address");
  bad("[::1:8080:80", "no `]`");
  bad("[1.2.3.4]:8080:80", "not an IPv6 address");
  bad("[fe80::1%eth0]:8080:80", "not an IPv6 address");
  bad("[::ffff:127.0.0.1]:8080:80", "IPv4-mapped");
  bad("[]:8080:80", "empty address");

  char long_spec[200];
  memset(long_spec, '1', sizeof(long_spec) - 1);
  long_spec[sizeof(long_spec) - 1] = '\0';
  long_spec[3] = ':';
  bad(long_spec, "too long");

  struct keep_port p;
  char buf[96];
  keep_port_parse("[::1]:8080:80/udp", &p, NULL);
  keep_port_format(&p, buf, sizeof(buf));
  tap_ok(strcmp(buf, "[::1]:8080->80/udp") == 0, "formatted, IPv6: %s", buf);
  keep_port_parse("9000:90", &p, NULL);
  keep_port_format(&p, buf, sizeof(buf));
  tap_ok(strcmp(buf, "127.0.0.1:9000->90/tcp") == 0, "formatted, the default address: %s", buf);
  return tap_done();
}
