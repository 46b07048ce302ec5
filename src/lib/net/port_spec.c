/* The -p/--publish syntax, Docker's: [IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp].
 * Pure: a parser only, so it can be unit-tested and fuzzed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "portfwd.h"
#include "util.h"

#define SPEC_MAX 128

static int bad(const char *spec, keep_error **err, const char *why)
{
  return keep_fail(err, 0, "published port `%s`: %s", keep_q(spec), why);
}

/* Decimal digits only (no sign, no spaces), at most 65535; "" is 0 when
 * empty_ok (any host port). */
static int parse_port(const char *s, size_t len, bool empty_ok, uint16_t *out)
{
  if (len == 0) {
    *out = 0;
    return empty_ok ? 0 : -1;
  }
  if (len > 5)
    return -1;
  unsigned v = 0;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (unsigned) (s[i] - '0');
  }
  if (v > 65535)
    return -1;
  *out = (uint16_t) v;
  return 0;
}

/* The address, canonical, and whether it is anything but loopback.  IPv6
 * only in brackets (its colons would be taken for the port separators). */
static int parse_ip(const char *spec, const char *ip, size_t len, bool v6, struct keep_port *out,
                    keep_error **err)
{
  char buf[KEEP_PORT_IP_MAX];
  if (len == 0)
    return bad(spec, err, "empty address (leave it out for 127.0.0.1)");
  if (len >= sizeof(buf))
    return bad(spec, err, "not an IPv4 or IPv6 address");
  memcpy(buf, ip, len);
  buf[len] = '\0';
  if (v6) {
    struct in6_addr a;
    if (inet_pton(AF_INET6, buf, &a) != 1)
      return bad(spec, err, "not an IPv6 address in the brackets");
    /* Bound IPV6_V6ONLY, a mapped address would never receive anything. */
    if (IN6_IS_ADDR_V4MAPPED(&a))
      return bad(spec, err, "an IPv4-mapped IPv6 address (give the IPv4 address itself)");
    inet_ntop(AF_INET6, &a, out->host_ip, sizeof(out->host_ip));
    out->weaker = !IN6_IS_ADDR_LOOPBACK(&a);
    return 0;
  }
  struct in_addr a;
  if (inet_pton(AF_INET, buf, &a) != 1)
    return bad(spec, err,
               strchr(buf, ':') ? "an IPv6 address goes in brackets ([::1]:8080:80)" : "not an IPv4 address");
  inet_ntop(AF_INET, &a, out->host_ip, sizeof(out->host_ip));
  out->weaker = (ntohl(a.s_addr) >> 24) != 127;
  return 0;
}

int keep_port_parse(const char *spec, struct keep_port *out, keep_error **err)
{
  *out = (struct keep_port){.proto = IPPROTO_TCP, .host_ip = "127.0.0.1"};
  if (!spec || !*spec)
    return bad(spec ? spec : "", err, "empty (give [IP:]HOSTPORT:CONTAINERPORT[/tcp|/udp])");
  size_t len = strlen(spec);
  if (len > SPEC_MAX)
    return bad(spec, err, "too long");

  const char *slash = strchr(spec, '/');
  if (slash) {
    if (strcmp(slash + 1, "tcp") == 0)
      out->proto = IPPROTO_TCP;
    else if (strcmp(slash + 1, "udp") == 0)
      out->proto = IPPROTO_UDP;
    else
      return bad(spec, err, "the protocol is tcp or udp");
    len = (size_t) (slash - spec);
  }

  /* Split off the address: "[v6]:" or the part before the second-last ':'. */
  const char *ports = spec;
  if (spec[0] == '[') {
    const char *close = memchr(spec, ']', len);
    if (!close)
      return bad(spec, err, "no `]` after the IPv6 address");
    if (close + 1 >= spec + len || close[1] != ':')
      return bad(spec, err, "`:HOSTPORT:CONTAINERPORT` must follow the address");
    if (parse_ip(spec, spec + 1, (size_t) (close - spec - 1), true, out, err) < 0)
      return -1;
    ports = close + 2;
    if (!memchr(ports, ':', len - (size_t) (ports - spec)))
      return bad(spec, err, "missing container port (give [IP]:HOSTPORT:CONTAINERPORT)");
  } else {
    size_t colons = 0;
    const char *last = NULL, *before_last = NULL;
    for (const char *c = spec; c < spec + len; c++)
      if (*c == ':') {
        colons++;
        before_last = last;
        last = c;
      }
    if (colons == 0)
      return bad(spec, err,
                 "missing host port (give HOSTPORT:CONTAINERPORT, or :CONTAINERPORT for any host port)");
    if (colons > 2)
      return bad(spec, err, "an IPv6 address goes in brackets ([::1]:8080:80)");
    if (colons == 2) {
      if (parse_ip(spec, spec, (size_t) (before_last - spec), false, out, err) < 0)
        return -1;
      ports = before_last + 1;
    } else if (memchr(spec, '.', (size_t) (last - spec))) {
      /* "1.2.3.4:80": an address and one port, not two ports. */
      return bad(spec, err, "missing container port (give IP:HOSTPORT:CONTAINERPORT)");
    }
  }

  const char *colon = memchr(ports, ':', len - (size_t) (ports - spec));
  const char *ctr = colon + 1;
  size_t ctr_len = len - (size_t) (ctr - spec);
  if (parse_port(ports, (size_t) (colon - ports), true, &out->host_port) < 0)
    return bad(spec, err, "the host port is a number from 1 to 65535 (or empty for any)");
  if (ctr_len == 0)
    return bad(spec, err, "missing container port");
  if (parse_port(ctr, ctr_len, false, &out->ctr_port) < 0 || out->ctr_port == 0)
    return bad(spec, err, "the container port is a number from 1 to 65535");
  return 0;
}

void keep_port_format(const struct keep_port *p, char *buf, size_t len)
{
  bool v6 = strchr(p->host_ip, ':') != NULL;
  snprintf(buf, len, "%s%s%s:%u->%u/%s", v6 ? "[" : "", p->host_ip, v6 ? "]" : "", p->host_port, p->ctr_port,
           p->proto == IPPROTO_UDP ? "udp" : "tcp");
}
