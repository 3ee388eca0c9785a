/*
 * net_sock.c - the socket command: listening IPv4 TCP/UDP sockets and
 * established TCP connections from NETLINK_SOCK_DIAG, their owners found
 * by scanning /proc/<pid>/fd (under --root) for "socket:[inode]".
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "ev_err.h"
#include "net.h"
#include "net_nl.h"

#define SOCK_COMM_MAX 64

struct sock_ent {
	uint8_t family, proto, state;
	uint32_t rq, wq, inode;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	int pid, fd; /* owner, 0 when unknown */
	char comm[SOCK_COMM_MAX];
};

struct sock_list {
	struct sock_ent *v;
	size_t n, cap;
	uint8_t proto;
	int err;
};

static int
diag_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sock_list *l = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct sock_ent *e;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY || mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_OK;
	if (l->n == l->cap) {
		size_t nc = l->cap == 0 ? 64 : l->cap * 2;
		struct sock_ent *p;
		if (l->n >= NET_NL_MAX_ENTRIES) {
			l->err = EV_ERR_TOO_BIG;
			return MNL_CB_ERROR;
		}
		if ((p = reallocarray(l->v, nc, sizeof(*p))) == NULL) {
			l->err = EV_ERR_NOMEM;
			return MNL_CB_ERROR;
		}
		l->v = p;
		l->cap = nc;
	}
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->family = m->idiag_family;
	e->proto = l->proto;
	e->state = m->idiag_state;
	e->rq = m->idiag_rqueue;
	e->wq = m->idiag_wqueue;
	e->inode = m->idiag_inode;
	e->sport = ntohs(m->id.idiag_sport);
	e->dport = ntohs(m->id.idiag_dport);
	memcpy(e->src, m->id.idiag_src, 16);
	memcpy(e->dst, m->id.idiag_dst, 16);
	return MNL_CB_OK;
}

/* Append the sockets of one family/protocol in the given states to l. */
static int
diag_dump(struct sock_list *l, uint8_t family, uint8_t proto, uint32_t states)
{
	struct inet_diag_req_v2 req = {0};

	req.sdiag_family = family;
	req.sdiag_protocol = proto;
	req.idiag_states = states;
	l->proto = proto;
	return net_nl_dump(NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, &req, sizeof(req), diag_cb, l,
	                   &l->err);
}

static int
inode_cmp(const void *a, const void *b)
{
	const struct sock_ent *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

static void
read_comm(struct cmd_ctx *ctx, const char *pid, char *out, size_t cap)
{
	char rel[300], path[4096];
	size_t n = 0;
	FILE *f;

	out[0] = '\0';
	snprintf(rel, sizeof(rel), "/proc/%s/comm", pid);
	if (cmd_path(ctx, rel, path, sizeof(path)) != 0 || (f = fopen(path, "re")) == NULL)
		return;
	if (fgets(out, (int)cap, f) != NULL)
		n = strcspn(out, "\n");
	out[n] = '\0';
	fclose(f);
}

/* Fill pid/fd/comm of every entry whose inode some /proc/<pid>/fd/<n> links to. */
static void
find_owners(struct cmd_ctx *ctx, struct sock_list *l)
{
	char path[4096];
	DIR *proc = NULL;
	struct dirent *de;

	if (l->n == 0 || cmd_path(ctx, "/proc", path, sizeof(path)) != 0 ||
	    (proc = opendir(path)) == NULL)
		return;
	qsort(l->v, l->n, sizeof(l->v[0]), inode_cmp);
	while ((de = readdir(proc)) != NULL) {
		char rel[300];
		DIR *fds;
		struct dirent *fe;
		char comm[SOCK_COMM_MAX] = "";
		bool have_comm = false;
		if (de->d_name[0] < '1' || de->d_name[0] > '9' ||
		    strspn(de->d_name, "0123456789") != strlen(de->d_name))
			continue;
		snprintf(rel, sizeof(rel), "%s/fd", de->d_name);
		int dfd = openat(dirfd(proc), rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || (fds = fdopendir(dfd)) == NULL) {
			if (dfd >= 0)
				close(dfd);
			continue;
		}
		while ((fe = readdir(fds)) != NULL) {
			char link[64], *end;
			struct sock_ent key = {0}, *hit;
			ssize_t k = readlinkat(dirfd(fds), fe->d_name, link, sizeof(link) - 1);
			if (k <= 8)
				continue;
			link[k] = '\0';
			if (strncmp(link, "socket:[", 8) != 0)
				continue;
			errno = 0;
			unsigned long long ino = strtoull(link + 8, &end, 10);
			if (errno != 0 || *end != ']' || ino > UINT32_MAX)
				continue;
			key.inode = (uint32_t)ino;
			if ((hit = bsearch(&key, l->v, l->n, sizeof(key), inode_cmp)) == NULL)
				continue;
			if (!have_comm) {
				read_comm(ctx, de->d_name, comm, sizeof(comm));
				have_comm = true;
			}
			/* An inode listed twice (v4 and v6 dumps) gets its owner on every entry. */
			while (hit > l->v && hit[-1].inode == key.inode)
				hit--;
			for (struct sock_ent *e = hit; e < l->v + l->n && e->inode == key.inode;
			     e++) {
				e->pid = (int)strtol(de->d_name, NULL, 10);
				e->fd = (int)strtol(fe->d_name, NULL, 10);
				memcpy(e->comm, comm, sizeof(comm));
			}
		}
		closedir(fds);
	}
	closedir(proc);
}

static void
fmt_ep(uint8_t family, const uint8_t *a, uint16_t port, bool peer, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	bool any = true;

	inet_ntop(family, a, ip, sizeof(ip));
	for (size_t i = 0; i < (family == AF_INET ? 4u : 16u); i++)
		any = any && a[i] == 0;
	if (family == AF_INET6)
		snprintf(out, cap, "[%s]:", any ? "::" : ip);
	else
		snprintf(out, cap, "%s:", ip);
	if (peer && port == 0)
		snprintf(out + strlen(out), cap - strlen(out), "*");
	else
		snprintf(out + strlen(out), cap - strlen(out), "%u", port);
}

static const char *
state_name(uint8_t proto, uint8_t st)
{
	if (proto == IPPROTO_UDP)
		return st == TCP_ESTABLISHED ? "ESTAB" : "UNCONN";
	switch (st) {
	case TCP_ESTABLISHED: return "ESTAB";
	case TCP_LISTEN: return "LISTEN";
	default: return "OTHER";
	}
}

static int
ent_order(const void *a, const void *b)
{
	const struct sock_ent *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto < y->proto ? -1 : 1;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return x->sport < y->sport ? -1 : x->sport > y->sport;
}

static void
print_list(struct cmd_ctx *ctx, struct sock_list *l)
{
	qsort(l->v, l->n, sizeof(l->v[0]), ent_order);
	cmd_printf(ctx, "%-5s %-6s %-6s %-6s %-40s %-40s %s\n", "Netid", "State", "Recv-Q",
	           "Send-Q", "Local Address:Port", "Peer Address:Port", "Process");
	for (size_t i = 0; i < l->n; i++) {
		const struct sock_ent *e = &l->v[i];
		char local[INET6_ADDRSTRLEN + 16], peer[INET6_ADDRSTRLEN + 16];
		fmt_ep(e->family, e->src, e->sport, false, local, sizeof(local));
		fmt_ep(e->family, e->dst, e->dport, true, peer, sizeof(peer));
		cmd_printf(ctx, "%-5s %-6s %-6u %-6u %-40s %-40s",
		           e->proto == IPPROTO_TCP ? "tcp" : "udp", state_name(e->proto, e->state),
		           e->rq, e->wq, local, peer);
		if (e->pid > 0)
			cmd_printf(ctx, " users:((\"%s\",pid=%d,fd=%d))", e->comm, e->pid, e->fd);
		cmd_printf(ctx, "\n");
	}
}

int
net_cmd_socket(struct cmd_ctx *ctx, const char *arg)
{
	struct sock_list lis = {0}, est = {0};
	int r;

	(void)arg;
	if ((r = diag_dump(&lis, AF_INET, IPPROTO_TCP, 1u << TCP_LISTEN)) != 0 ||
	    (r = diag_dump(&lis, AF_INET, IPPROTO_UDP, 1u << TCP_CLOSE)) != 0 ||
	    (r = diag_dump(&est, AF_INET, IPPROTO_TCP, 1u << TCP_ESTABLISHED)) != 0 ||
	    (r = diag_dump(&est, AF_INET6, IPPROTO_TCP, 1u << TCP_ESTABLISHED)) != 0) {
		cmd_colour_line(ctx, CMD_RED, "socket: cannot list sockets: %s", ev_strerror(r));
		goto out;
	}
	find_owners(ctx, &lis);
	find_owners(ctx, &est);
	cmd_colour_line(ctx, CMD_BLUE, " listening socket ports: ");
	print_list(ctx, &lis);
	cmd_printf(ctx, "\n");
	cmd_colour_line(ctx, CMD_BLUE, " socket established: ");
	print_list(ctx, &est);
	r = 0;
out:
	free(lis.v);
	free(est.v);
	return r;
}
