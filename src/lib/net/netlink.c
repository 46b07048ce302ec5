#include "netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

struct keep_nl {
  struct mnl_socket *sock;
  unsigned portid;
  unsigned seq;
};

struct keep_nl *keep_nl_open(keep_error **err)
{
  struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (s == NULL) {
    keep_fail_errno(err, "socket(NETLINK_ROUTE)");
    return NULL;
  }
  if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
    keep_fail_errno(err, "bind the route netlink socket");
    mnl_socket_close(s);
    return NULL;
  }
  struct keep_nl *nl = xcalloc(1, sizeof(*nl));
  nl->sock = s;
  nl->portid = mnl_socket_get_portid(s);
  nl->seq = (unsigned) time(NULL);
  return nl;
}

void keep_nl_close(struct keep_nl *nl)
{
  if (nl == NULL)
    return;
  mnl_socket_close(nl->sock);
  free(nl);
}

void keep_nl_closep(struct keep_nl **nl)
{
  keep_nl_close(*nl);
}

unsigned keep_nl_index(const char *name)
{
  return if_nametoindex(name);
}

/* Send one request and wait for its acknowledgement: 0, or -errno. */
static int talk(struct keep_nl *nl, struct nlmsghdr *h)
{
  h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  h->nlmsg_seq = ++nl->seq;
  if (mnl_socket_sendto(nl->sock, h, h->nlmsg_len) < 0)
    return -errno;
  char buf[MNL_SOCKET_BUFFER_SIZE];
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
    if (n < 0)
      return errno == EINTR ? (int) -EINTR : -errno;
    int r = mnl_cb_run(buf, (size_t) n, h->nlmsg_seq, nl->portid, NULL, NULL);
    if (r < 0)
      return -errno;
    if (r == MNL_CB_STOP)
      return 0;
  }
}

static struct nlmsghdr *link_msg(char *buf, uint16_t type, uint16_t flags, unsigned index)
{
  struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = (int) index;
  return h;
}

int keep_nl_bridge_add(struct keep_nl *nl, const char *name, keep_error **err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
  mnl_attr_put_strz(h, IFLA_IFNAME, name);
  struct nlattr *info = mnl_attr_nest_start(h, IFLA_LINKINFO);
  mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
  mnl_attr_nest_end(h, info);
  int r = talk(nl, h);
  if (r < 0 && r != -EEXIST)
    return keep_fail(err, -r, "create bridge `%s`", name);
  return 0;
}

int keep_nl_link_del(struct keep_nl *nl, const char *name, keep_error **err)
{
  unsigned index = keep_nl_index(name);
  if (index == 0)
    return 0;
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = link_msg(buf, RTM_DELLINK, 0, index);
  int r = talk(nl, h);
  if (r < 0 && r != -ENODEV)
    return keep_fail(err, -r, "delete link `%s`", name);
  return 0;
}

int keep_nl_veth_add(struct keep_nl *nl, const char *host, const char *peer, const uint8_t mac[6],
                     int netns_fd, keep_error **err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = link_msg(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
  mnl_attr_put_strz(h, IFLA_IFNAME, host);
  struct nlattr *info = mnl_attr_nest_start(h, IFLA_LINKINFO);
  mnl_attr_put_strz(h, IFLA_INFO_KIND, "veth");
  struct nlattr *data = mnl_attr_nest_start(h, IFLA_INFO_DATA);
  struct nlattr *p = mnl_attr_nest_start(h, VETH_INFO_PEER);
  struct ifinfomsg *pi = mnl_nlmsg_put_extra_header(h, sizeof(*pi));
  pi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(h, IFLA_IFNAME, peer);
  mnl_attr_put(h, IFLA_ADDRESS, 6, mac);
  mnl_attr_put_u32(h, IFLA_NET_NS_FD, (uint32_t) netns_fd);
  mnl_attr_nest_end(h, p);
  mnl_attr_nest_end(h, data);
  mnl_attr_nest_end(h, info);
  int r = talk(nl, h);
  if (r < 0)
    return keep_fail(err, -r, "create veth pair `%s` (peer `%s` in the container)", host, peer);
  return 0;
}

/* IFF_UP set or cleared, and a master given unless 0: -errno. */
static int link_set(struct keep_nl *nl, unsigned index, bool up, unsigned master_index)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = link_msg(buf, RTM_NEWLINK, 0, index);
  struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
  ifi->ifi_flags = up ? IFF_UP : 0;
  ifi->ifi_change = IFF_UP;
  if (master_index)
    mnl_attr_put_u32(h, IFLA_MASTER, master_index);
  return talk(nl, h);
}

int keep_nl_link_down(struct keep_nl *nl, const char *name, keep_error **err)
{
  unsigned index = keep_nl_index(name);
  int r = index ? link_set(nl, index, false, 0) : 0;
  if (r < 0 && r != -ENODEV)
    return keep_fail(err, -r, "set link `%s` down", name);
  return 0;
}

int keep_nl_link_up(struct keep_nl *nl, const char *name, unsigned master_index, keep_error **err)
{
  unsigned index = keep_nl_index(name);
  if (index == 0)
    return keep_fail(err, ENODEV, "link `%s`", name);
  int r = link_set(nl, index, true, master_index);
  if (r < 0)
    return keep_fail(err, -r, "set link `%s` up", name);
  return 0;
}

int keep_nl_addr4_add(struct keep_nl *nl, const char *name, struct in_addr a, unsigned prefix,
                      keep_error **err)
{
  unsigned index = keep_nl_index(name);
  if (index == 0)
    return keep_fail(err, ENODEV, "link `%s`", name);
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
  h->nlmsg_type = RTM_NEWADDR;
  h->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
  ifa->ifa_family = AF_INET;
  ifa->ifa_prefixlen = (unsigned char) prefix;
  ifa->ifa_index = index;
  mnl_attr_put(h, IFA_LOCAL, sizeof(a), &a);
  mnl_attr_put(h, IFA_ADDRESS, sizeof(a), &a);
  int r = talk(nl, h);
  if (r < 0 && r != -EEXIST)
    return keep_fail(err, -r, "add an address to `%s`", name);
  return 0;
}

int keep_nl_route4_default(struct keep_nl *nl, struct in_addr gw, keep_error **err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *h = mnl_nlmsg_put_header(buf);
  h->nlmsg_type = RTM_NEWROUTE;
  h->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
  struct rtmsg *rt = mnl_nlmsg_put_extra_header(h, sizeof(*rt));
  rt->rtm_family = AF_INET;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_STATIC;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  mnl_attr_put(h, RTA_GATEWAY, sizeof(gw), &gw);
  int r = talk(nl, h);
  if (r < 0)
    return keep_fail(err, -r, "add the default route");
  return 0;
}
