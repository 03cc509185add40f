/* strace-style rendering of arguments and results, for the trace, the JSON
 * trace and Call#inspect.  It runs inside hooks (malloc's among them), so
 * it never allocates and never touches stdio streams; output goes into a
 * caller's fixed buffer and is cut silently when that is full. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdarg.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timeb.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>

#include "core/engine.h"

#define MAXSTR 32	/* strace's default -s: bytes of a string, items of an array */
#define N(t) (sizeof(t) / sizeof((t)[0]))

/* ---- the buffer ---- */

void hj_put(struct hj_buf *b, const char *s, size_t n)
{
	if (b->len + 1 >= b->cap) {
		if (b->cap && b->len < b->cap)
			b->p[b->len] = '\0';
		return;
	}
	if (n > b->cap - 1 - b->len)
		n = b->cap - 1 - b->len;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void hj_puts(struct hj_buf *b, const char *s) { hj_put(b, s, strlen(s)); }

void hj_printf(struct hj_buf *b, const char *fmt, ...)
{
	if (b->len + 1 >= b->cap)
		return;
	size_t room = b->cap - b->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n < room ? (size_t)n : room - 1;
}

/* ---- symbolic constants ---- */

struct xlat { unsigned long v; const char *s; };
#define X(c) { (unsigned long)(c), #c }

/* Names the bits of v found in t, in table order; returns the bits left.
 * *sep: a name was printed already, so the next one takes a '|'. */
static unsigned long bits(struct hj_buf *b, const struct xlat *t, size_t n, unsigned long v, bool *sep)
{
	for (size_t k = 0; k < n && v; k++)
		if (t[k].v && (v & t[k].v) == t[k].v) {
			if (*sep)
				hj_puts(b, "|");
			hj_puts(b, t[k].s);
			*sep = true;
			v &= ~t[k].v;
		}
	return v;
}

/* A flag set as strace prints it: "A|B|0x40", or "0x80 / * X_??? * /" when
 * no bit has a name, or the name of zero, or 0. */
static void flags(struct hj_buf *b, const struct xlat *t, size_t n, unsigned long v, const char *unknown)
{
	bool sep = false;
	if (!v) {
		for (size_t k = 0; k < n; k++)
			if (!t[k].v) {
				hj_puts(b, t[k].s);
				return;
			}
		hj_puts(b, "0");
		return;
	}
	v = bits(b, t, n, v, &sep);
	if (v && sep)
		hj_printf(b, "|%#lx", v);
	else if (v)
		hj_printf(b, "%#lx /* %s */", v, unknown);
}

static const char *name_of(const struct xlat *t, size_t n, unsigned long v)
{
	for (size_t k = 0; k < n; k++)
		if (t[k].v == v)
			return t[k].s;
	return NULL;
}

/* One value of an enumeration, or "0x4d / * X_??? * /". */
static void sym(struct hj_buf *b, const struct xlat *t, size_t n, unsigned long v, const char *unknown)
{
	const char *s = name_of(t, n, v);
	if (s)
		hj_puts(b, s);
	else
		hj_printf(b, "%#lx /* %s */", v, unknown);
}

#define FLAGS(b, t, v, u) flags(b, t, N(t), v, u)
#define SYM(b, t, v, u) sym(b, t, N(t), v, u)

/* Kernel values: glibc spells O_LARGEFILE as 0 on x86_64. In strace's
 * order (O_SYNC before the O_DSYNC it contains, O_TMPFILE before the
 * O_DIRECTORY it contains). */
static const struct xlat open_flags[] = {
	X(O_CREAT), X(O_EXCL), X(O_NOCTTY), X(O_TRUNC), X(O_APPEND), X(O_NONBLOCK),
	{ 04010000, "O_SYNC" }, { 010000, "O_DSYNC" }, { 040000, "O_DIRECT" },
	{ 0100000, "O_LARGEFILE" }, X(O_NOFOLLOW), X(O_NOATIME), X(O_CLOEXEC),
	{ 010000000, "O_PATH" }, { 020200000, "O_TMPFILE" }, X(O_DIRECTORY),
	{ 020000, "FASYNC" },
};
static const char *const acc_modes[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };

static const struct xlat at_flags[] = {
	X(AT_SYMLINK_NOFOLLOW), X(AT_REMOVEDIR), X(AT_SYMLINK_FOLLOW),
	X(AT_NO_AUTOMOUNT), X(AT_EMPTY_PATH), { 0x8000, "AT_RECURSIVE" },
};
/* faccessat gives 0x200 another meaning */
static const struct xlat at_eaccess_flags[] = {
	X(AT_SYMLINK_NOFOLLOW), X(AT_EACCESS), X(AT_SYMLINK_FOLLOW),
	X(AT_NO_AUTOMOUNT), X(AT_EMPTY_PATH),
};
static const struct xlat statx_sync[] = {
	{ 0, "AT_STATX_SYNC_AS_STAT" }, { 0x2000, "AT_STATX_FORCE_SYNC" },
	{ 0x4000, "AT_STATX_DONT_SYNC" },
};
static const struct xlat statx_mask[] = {
	{ 0xfff, "STATX_ALL" }, { 0x7ff, "STATX_BASIC_STATS" },
	{ 0x1, "STATX_TYPE" }, { 0x2, "STATX_MODE" }, { 0x4, "STATX_NLINK" },
	{ 0x8, "STATX_UID" }, { 0x10, "STATX_GID" }, { 0x20, "STATX_ATIME" },
	{ 0x40, "STATX_MTIME" }, { 0x80, "STATX_CTIME" }, { 0x100, "STATX_INO" },
	{ 0x200, "STATX_SIZE" }, { 0x400, "STATX_BLOCKS" }, { 0x800, "STATX_BTIME" },
	{ 0x1000, "STATX_MNT_ID" }, { 0x2000, "STATX_DIOALIGN" },
};
static const struct xlat statx_attrs[] = {
	{ 0x4, "STATX_ATTR_COMPRESSED" }, { 0x10, "STATX_ATTR_IMMUTABLE" },
	{ 0x20, "STATX_ATTR_APPEND" }, { 0x40, "STATX_ATTR_NODUMP" },
	{ 0x800, "STATX_ATTR_ENCRYPTED" }, { 0x1000, "STATX_ATTR_AUTOMOUNT" },
	{ 0x2000, "STATX_ATTR_MOUNT_ROOT" }, { 0x100000, "STATX_ATTR_VERITY" },
	{ 0x200000, "STATX_ATTR_DAX" },
};
static const struct xlat access_modes[] = { X(F_OK), X(R_OK), X(W_OK), X(X_OK) };
static const struct xlat whences[] = { X(SEEK_SET), X(SEEK_CUR), X(SEEK_END), X(SEEK_DATA), X(SEEK_HOLE) };
static const struct xlat fcntl_cmds[] = {
	X(F_DUPFD), X(F_GETFD), X(F_SETFD), X(F_GETFL), X(F_SETFL), X(F_GETLK),
	X(F_SETLK), X(F_SETLKW), X(F_SETOWN), X(F_GETOWN), X(F_SETSIG), X(F_GETSIG),
	X(F_SETOWN_EX), X(F_GETOWN_EX), { 17, "F_GETOWNER_UIDS" }, X(F_OFD_GETLK),
	X(F_OFD_SETLK), X(F_OFD_SETLKW), X(F_SETLEASE), X(F_GETLEASE), X(F_NOTIFY),
	{ 1029, "F_CANCELLK" }, X(F_DUPFD_CLOEXEC), X(F_SETPIPE_SZ), X(F_GETPIPE_SZ),
	X(F_ADD_SEALS), X(F_GET_SEALS),
};
static const struct xlat fd_flags[] = { X(FD_CLOEXEC) };
static const struct xlat seals[] = {
	X(F_SEAL_SEAL), X(F_SEAL_SHRINK), X(F_SEAL_GROW), X(F_SEAL_WRITE), { 0x10, "F_SEAL_FUTURE_WRITE" },
};
static const struct xlat lock_types[] = { X(F_RDLCK), X(F_WRLCK), X(F_UNLCK) };
static const struct xlat prots[] = {
	X(PROT_NONE), X(PROT_READ), X(PROT_WRITE), X(PROT_EXEC), { 0x8, "PROT_SEM" },
	X(PROT_GROWSDOWN), X(PROT_GROWSUP),
};
static const struct xlat map_types[] = { X(MAP_SHARED), X(MAP_PRIVATE), X(MAP_SHARED_VALIDATE) };
static const struct xlat map_flags[] = {
	X(MAP_FIXED), X(MAP_ANONYMOUS), X(MAP_32BIT), X(MAP_NORESERVE), X(MAP_POPULATE),
	X(MAP_NONBLOCK), X(MAP_GROWSDOWN), X(MAP_DENYWRITE), X(MAP_EXECUTABLE),
	X(MAP_LOCKED), X(MAP_STACK), X(MAP_HUGETLB), X(MAP_SYNC),
	{ 0x4000000, "MAP_UNINITIALIZED" }, X(MAP_FIXED_NOREPLACE),
};
static const struct xlat sock_types[] = {
	X(SOCK_STREAM), X(SOCK_DGRAM), X(SOCK_RAW), X(SOCK_RDM), X(SOCK_SEQPACKET),
	X(SOCK_DCCP), X(SOCK_PACKET),
};
static const struct xlat sock_flags[] = { X(SOCK_CLOEXEC), X(SOCK_NONBLOCK) };
static const struct xlat sock_levels[] = {
	X(SOL_IP), X(SOL_SOCKET), X(SOL_TCP), { 17, "SOL_UDP" }, X(SOL_IPV6), X(SOL_ICMPV6),
	{ 132, "SOL_SCTP" }, { 136, "SOL_UDPLITE" }, X(SOL_RAW), X(SOL_PACKET),
	X(SOL_NETLINK), X(SOL_ALG), { 282, "SOL_TLS" }, { 283, "SOL_XDP" },
};
static const struct xlat so_names[] = {
	X(SO_DEBUG), X(SO_REUSEADDR), X(SO_TYPE), X(SO_ERROR), X(SO_DONTROUTE),
	X(SO_BROADCAST), X(SO_SNDBUF), X(SO_RCVBUF), X(SO_KEEPALIVE), X(SO_OOBINLINE),
	X(SO_NO_CHECK), X(SO_PRIORITY), X(SO_LINGER), X(SO_BSDCOMPAT), X(SO_REUSEPORT),
	X(SO_PASSCRED), X(SO_PEERCRED), X(SO_RCVLOWAT), X(SO_SNDLOWAT),
	{ 20, "SO_RCVTIMEO_OLD" }, { 21, "SO_SNDTIMEO_OLD" }, X(SO_BINDTODEVICE),
	X(SO_ATTACH_FILTER), X(SO_DETACH_FILTER), X(SO_PEERNAME), { 29, "SO_TIMESTAMP_OLD" },
	X(SO_ACCEPTCONN), X(SO_PEERSEC), X(SO_SNDBUFFORCE), X(SO_RCVBUFFORCE),
	X(SO_PASSSEC), X(SO_MARK), X(SO_PROTOCOL), X(SO_DOMAIN), X(SO_RXQ_OVFL),
	X(SO_BUSY_POLL), X(SO_INCOMING_CPU), X(SO_ZEROCOPY),
};
static const struct xlat tcp_names[] = {
	X(TCP_NODELAY), X(TCP_MAXSEG), X(TCP_CORK), X(TCP_KEEPIDLE), X(TCP_KEEPINTVL),
	X(TCP_KEEPCNT), X(TCP_SYNCNT), X(TCP_LINGER2), X(TCP_DEFER_ACCEPT),
	X(TCP_WINDOW_CLAMP), X(TCP_INFO), X(TCP_QUICKACK), X(TCP_CONGESTION),
	X(TCP_USER_TIMEOUT), X(TCP_FASTOPEN), X(TCP_NOTSENT_LOWAT),
};
static const struct xlat ip_names[] = {
	X(IP_TOS), X(IP_TTL), X(IP_HDRINCL), X(IP_OPTIONS), X(IP_PKTINFO), X(IP_MTU_DISCOVER),
	X(IP_RECVERR), X(IP_RECVTTL), X(IP_RECVTOS), X(IP_MTU), X(IP_FREEBIND),
	X(IP_TRANSPARENT), X(IP_BIND_ADDRESS_NO_PORT), X(IP_MULTICAST_IF),
	X(IP_MULTICAST_TTL), X(IP_MULTICAST_LOOP), X(IP_ADD_MEMBERSHIP), X(IP_DROP_MEMBERSHIP),
};
static const struct xlat ipv6_names[] = {
	X(IPV6_UNICAST_HOPS), X(IPV6_MULTICAST_IF), X(IPV6_MULTICAST_HOPS),
	X(IPV6_MULTICAST_LOOP), X(IPV6_RECVERR), X(IPV6_V6ONLY), X(IPV6_RECVPKTINFO),
	X(IPV6_TCLASS),
};
static const struct xlat ipprotos[] = {
	X(IPPROTO_IP), X(IPPROTO_ICMP), X(IPPROTO_IGMP), X(IPPROTO_IPIP), X(IPPROTO_TCP),
	X(IPPROTO_EGP), X(IPPROTO_PUP), X(IPPROTO_UDP), X(IPPROTO_IDP), X(IPPROTO_TP),
	X(IPPROTO_DCCP), X(IPPROTO_IPV6), X(IPPROTO_RSVP), X(IPPROTO_GRE), X(IPPROTO_ESP),
	X(IPPROTO_AH), X(IPPROTO_ICMPV6), X(IPPROTO_MTP), X(IPPROTO_ENCAP), X(IPPROTO_PIM),
	X(IPPROTO_COMP), X(IPPROTO_SCTP), X(IPPROTO_UDPLITE), X(IPPROTO_MPLS), X(IPPROTO_RAW),
	{ 262, "IPPROTO_MPTCP" },
};
static const struct xlat netlink_protos[] = {
	X(NETLINK_ROUTE), X(NETLINK_UNUSED), X(NETLINK_USERSOCK), X(NETLINK_FIREWALL),
	X(NETLINK_SOCK_DIAG), X(NETLINK_NFLOG), X(NETLINK_XFRM), X(NETLINK_SELINUX),
	X(NETLINK_ISCSI), X(NETLINK_AUDIT), X(NETLINK_FIB_LOOKUP), X(NETLINK_CONNECTOR),
	X(NETLINK_NETFILTER), X(NETLINK_IP6_FW), X(NETLINK_DNRTMSG),
	X(NETLINK_KOBJECT_UEVENT), X(NETLINK_GENERIC), X(NETLINK_SCSITRANSPORT),
	X(NETLINK_ECRYPTFS), X(NETLINK_RDMA), X(NETLINK_CRYPTO),
};
static const struct xlat shut_hows[] = { X(SHUT_RD), X(SHUT_WR), X(SHUT_RDWR) };
static const struct xlat msg_flags[] = {
	X(MSG_OOB), X(MSG_PEEK), X(MSG_DONTROUTE), X(MSG_CTRUNC), { 0x10, "MSG_PROBE" }, X(MSG_TRUNC),
	X(MSG_DONTWAIT), X(MSG_EOR), X(MSG_WAITALL), X(MSG_FIN), X(MSG_SYN), X(MSG_CONFIRM),
	X(MSG_RST), X(MSG_ERRQUEUE), X(MSG_NOSIGNAL), X(MSG_MORE), X(MSG_WAITFORONE),
	{ 0x20000, "MSG_SENDPAGE_NOTLAST" }, X(MSG_BATCH), { 0x80000, "MSG_NO_SHARED_FRAGS" },
	X(MSG_ZEROCOPY), X(MSG_FASTOPEN), X(MSG_CMSG_CLOEXEC),
};
static const struct xlat scm_types[] = { X(SCM_RIGHTS), X(SCM_CREDENTIALS) };
static const struct xlat clocks[] = {
	X(CLOCK_REALTIME), X(CLOCK_MONOTONIC), X(CLOCK_PROCESS_CPUTIME_ID),
	X(CLOCK_THREAD_CPUTIME_ID), X(CLOCK_MONOTONIC_RAW), X(CLOCK_REALTIME_COARSE),
	X(CLOCK_MONOTONIC_COARSE), X(CLOCK_BOOTTIME), X(CLOCK_REALTIME_ALARM),
	X(CLOCK_BOOTTIME_ALARM), { 10, "CLOCK_SGI_CYCLE" }, X(CLOCK_TAI),
};
static const struct xlat timer_flags[] = { X(TIMER_ABSTIME) };
static const struct xlat timerfd_flags[] = { { 1, "TFD_TIMER_ABSTIME" }, { 2, "TFD_TIMER_CANCEL_ON_SET" } };
static const struct xlat rename_flags[] = { { 1, "RENAME_NOREPLACE" }, { 2, "RENAME_EXCHANGE" }, { 4, "RENAME_WHITEOUT" } };
static const struct xlat falloc_flags[] = {
	{ 0x1, "FALLOC_FL_KEEP_SIZE" }, { 0x2, "FALLOC_FL_PUNCH_HOLE" },
	{ 0x4, "FALLOC_FL_NO_HIDE_STALE" }, { 0x8, "FALLOC_FL_COLLAPSE_RANGE" },
	{ 0x10, "FALLOC_FL_ZERO_RANGE" }, { 0x20, "FALLOC_FL_INSERT_RANGE" },
	{ 0x40, "FALLOC_FL_UNSHARE_RANGE" },
};
static const struct xlat poll_events[] = {
	X(POLLIN), X(POLLPRI), X(POLLOUT), X(POLLERR), X(POLLHUP), X(POLLNVAL), X(POLLRDNORM),
	X(POLLRDBAND), X(POLLWRNORM), X(POLLWRBAND), X(POLLMSG), { 0x1000, "POLLREMOVE" },
	X(POLLRDHUP), { 0x8000, "POLL_BUSY_LOOP" },
};
static const struct xlat epoll_events[] = {
	X(EPOLLIN), X(EPOLLPRI), X(EPOLLOUT), X(EPOLLERR), X(EPOLLHUP), { 0x20, "EPOLLNVAL" },
	X(EPOLLRDNORM), X(EPOLLRDBAND), X(EPOLLWRNORM), X(EPOLLWRBAND), X(EPOLLMSG),
	X(EPOLLRDHUP), X(EPOLLEXCLUSIVE), X(EPOLLWAKEUP), X(EPOLLONESHOT), X(EPOLLET),
};
/* the ioctls a program commonly makes; others print as _IOC(...) */
static const struct xlat ioctls[] = {
	{ 0x5401, "TCGETS" }, { 0x5402, "TCSETS" }, { 0x5403, "TCSETSW" }, { 0x5404, "TCSETSF" },
	{ 0x5409, "TCSBRK" }, { 0x540a, "TCXONC" }, { 0x540b, "TCFLSH" }, { 0x540c, "TIOCEXCL" },
	{ 0x540d, "TIOCNXCL" }, { 0x540e, "TIOCSCTTY" }, { 0x540f, "TIOCGPGRP" },
	{ 0x5410, "TIOCSPGRP" }, { 0x5411, "TIOCOUTQ" }, { 0x5412, "TIOCSTI" },
	{ 0x5413, "TIOCGWINSZ" }, { 0x5414, "TIOCSWINSZ" }, { 0x541b, "FIONREAD" },
	{ 0x541c, "TIOCLINUX" }, { 0x541d, "TIOCCONS" }, { 0x5421, "FIONBIO" },
	{ 0x5422, "TIOCNOTTY" }, { 0x5429, "TIOCGSID" }, { 0x5441, "TIOCGPTPEER" },
	{ 0x5450, "FIONCLEX" }, { 0x5451, "FIOCLEX" }, { 0x5452, "FIOASYNC" },
	{ 0x5460, "FIOQSIZE" }, { 0x80045430, "TIOCGPTN" }, { 0x40045431, "TIOCSPTLCK" },
};
static const struct xlat file_types[] = {
	X(S_IFREG), X(S_IFDIR), X(S_IFCHR), X(S_IFBLK), X(S_IFIFO), X(S_IFLNK), X(S_IFSOCK),
};
static const struct xlat mode_bits[] = { X(S_ISUID), X(S_ISGID), X(S_ISVTX) };
static const struct xlat eai_codes[] = {
	X(EAI_BADFLAGS), X(EAI_NONAME), X(EAI_AGAIN), X(EAI_FAIL), X(EAI_NODATA),
	X(EAI_FAMILY), X(EAI_SOCKTYPE), X(EAI_SERVICE), X(EAI_ADDRFAMILY), X(EAI_MEMORY),
	X(EAI_SYSTEM), X(EAI_OVERFLOW),
};

/* indexed by value, as the kernel numbers them */
static const char *const families[] = {
	"UNSPEC", "UNIX", "INET", "AX25", "IPX", "APPLETALK", "NETROM", "BRIDGE",
	"ATMPVC", "X25", "INET6", "ROSE", "DECnet", "NETBEUI", "SECURITY", "KEY",
	"NETLINK", "PACKET", "ASH", "ECONET", "ATMSVC", "RDS", "SNA", "IRDA", "PPPOX",
	"WANPIPE", "LLC", "IB", "MPLS", "CAN", "TIPC", "BLUETOOTH", "IUCV", "RXRPC",
	"ISDN", "PHONET", "IEEE802154", "CAIF", "ALG", "NFC", "VSOCK", "KCM", "QIPCRTR",
	"SMC", "XDP", "MCTP",
};
static const char *const signals[] = {
	NULL, "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
	"SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP",
	"TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
};

static void family(struct hj_buf *b, unsigned long v)
{
	if (v < N(families))
		hj_printf(b, "AF_%s", families[v]);
	else
		hj_printf(b, "%#lx /* AF_??? */", v);
}

static void signame(struct hj_buf *b, long v)
{
	if (v > 0 && v < (long)N(signals))
		hj_printf(b, "SIG%s", signals[v]);
	else if (v == 32)
		hj_puts(b, "SIGRTMIN");
	else if (v > 32 && v <= 64)
		hj_printf(b, "SIGRT_%ld", v - 32);
	else
		hj_printf(b, "%ld", v);
}

/* open's flags: the access mode always, then the other bits */
static void open_mode(struct hj_buf *b, unsigned long v)
{
	bool sep = true;
	hj_puts(b, acc_modes[v & O_ACCMODE]);
	v = bits(b, open_flags, N(open_flags), v & ~(unsigned long)O_ACCMODE, &sep);
	if (v)
		hj_printf(b, "|%#lx", v);
}

static void file_mode(struct hj_buf *b, unsigned m)
{
	bool sep = false;
	const char *t = name_of(file_types, N(file_types), m & S_IFMT);
	if (t) {
		hj_puts(b, t);
		sep = true;
	}
	bits(b, mode_bits, N(mode_bits), m & 07000, &sep);
	hj_printf(b, "%s%#03o", sep ? "|" : "", m & 0777);
}

/* ---- strings ---- */

enum { Q_NUL = 1, Q_HEX = 2 };

/* Quotes n bytes of s (fewer with Q_NUL: up to the NUL), at most max,
 * escaped as strace does; "..." after the quote when cut.  In JSON, a
 * JSON string without the dots. */
static void quote_cut(struct hj_buf *b, const char *s, size_t n, bool cut, int how, bool json);

void hj_json_string(struct hj_buf *b, const char *s)
{
	quote_cut(b, s, strlen(s), false, 0, true);
}

static void quote(struct hj_buf *b, const char *s, size_t n, size_t max, int how, bool json)
{
	if (how & Q_NUL)
		n = strnlen(s, n);
	quote_cut(b, s, n < max ? n : max, n > max, how, json);
}

/* n bytes of s quoted, with the dots after when cut */
static void quote_cut(struct hj_buf *b, const char *s, size_t n, bool cut, int how, bool json)
{
	const unsigned char *u = (const unsigned char *)s;
	hj_put(b, "\"", 1);
	for (size_t k = 0; k < n; k++) {
		unsigned c = u[k];
		char e[8];
		int len = 2;
		e[0] = '\\';
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\n': e[1] = 'n'; break;
		case '\t': e[1] = 't'; break;
		case '\r': e[1] = 'r'; break;
		case '\f': e[1] = 'f'; break;
		case '\v': if (!json) { e[1] = 'v'; break; } /* fall through */
		default:
			if (c >= ' ' && c < 0x7f && !(how & Q_HEX)) {
				e[0] = (char)c;
				len = 1;
			} else if (json) {
				len = snprintf(e, sizeof e, "\\u%04x", c);
			} else if (how & Q_HEX) {
				len = snprintf(e, sizeof e, "\\x%02x", c);
			} else if (k + 1 < n && u[k + 1] >= '0' && u[k + 1] <= '7') {
				/* a digit follows: all three octal digits, unambiguous */
				len = snprintf(e, sizeof e, "\\%03o", c);
			} else {
				len = snprintf(e, sizeof e, "\\%o", c);
			}
		}
		hj_put(b, e, (size_t)len);
	}
	hj_put(b, "\"", 1);
	if (cut && !json)
		hj_puts(b, "...");
}

static void ptr(struct hj_buf *b, long v, bool json)
{
	if (!v)
		hj_puts(b, json ? "null" : "NULL");
	else
		hj_printf(b, json ? "%lu" : "%#lx", (unsigned long)v);
}

/* The program's string at s, at most max bytes shown: its address when a
 * byte before its NUL (within max) cannot be read, as strace shows it.
 * proven: the kernel read it already, so it is read in place. */
static void str(struct hj_buf *b, const char *s, size_t max, bool json, bool proven)
{
	if (!s) {
		hj_puts(b, json ? "null" : "NULL");
		return;
	}
	if (proven) {
		quote(b, s, max + 1, max, Q_NUL, json);
		return;
	}
	char chunk[256];
	const char *from = chunk;
	bool nul;
	size_t want = max + 1;	/* one more, to know whether it is cut */
	long n = hj_peek_str(chunk, want < sizeof chunk ? want : sizeof chunk, s, &nul);
	if (n >= 0 && !nul && (size_t)n < want) {
		/* a long one: its length first, then read where it is */
		n = hj_strlen_safe(s, want, &nul);
		from = s;
	}
	if (n < 0)
		ptr(b, (long)s, json);
	else
		quote(b, from, (size_t)n, max, 0, json);
}

/* n bytes of the program's memory at p, quoted (at most MAXSTR shown),
 * or the address when they cannot be read */
static void mem(struct hj_buf *b, const void *p, size_t n, int how, bool json)
{
	char chunk[MAXSTR];
	size_t look = n < MAXSTR ? n : MAXSTR;
	if (!hj_peek(chunk, p, look)) {
		ptr(b, (long)p, json);
		return;
	}
	quote_cut(b, chunk, look, n > MAXSTR, how, json);
}

/* A struct of the program's, copied: false (the address printed) when
 * it cannot be read. */
#define COPY_OR_ADDR(b, var, p, json) (hj_peek(&(var), (p), sizeof(var)) || (ptr(b, (long)(p), json), false))

/* ---- structures ---- */

static void timespec_text(struct hj_buf *b, const struct timespec *ts)
{
	hj_printf(b, "{tv_sec=%ld, tv_nsec=%ld}", (long)ts->tv_sec, (long)ts->tv_nsec);
}

/* strace's date comment, in UTC: localtime could read tz files, and
 * malloc, here. Days to civil date after H. Hinnant's algorithm. */
static void date_comment(struct hj_buf *b, long sec, long nsec)
{
	long days = sec / 86400, rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
	long d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9;
	long y = yoe + era * 400 + (m <= 2);
	hj_printf(b, " /* %04ld-%02ld-%02ldT%02ld:%02ld:%02ld", y, m, d, rem / 3600, rem / 60 % 60, rem % 60);
	if (nsec)
		hj_printf(b, ".%09ld", nsec);
	hj_puts(b, "+0000 */");
}

static void itimerspec_text(struct hj_buf *b, const struct itimerspec *its)
{
	hj_puts(b, "{it_interval=");
	timespec_text(b, &its->it_interval);
	hj_puts(b, ", it_value=");
	timespec_text(b, &its->it_value);
	hj_puts(b, "}");
}

static void utime_times(struct hj_buf *b, const struct timespec *ts)
{
	hj_puts(b, "[");
	for (int k = 0; k < 2; k++) {
		if (k)
			hj_puts(b, ", ");
		if (ts[k].tv_nsec == UTIME_NOW)
			hj_puts(b, "UTIME_NOW");
		else if (ts[k].tv_nsec == UTIME_OMIT)
			hj_puts(b, "UTIME_OMIT");
		else {
			timespec_text(b, &ts[k]);
			date_comment(b, (long)ts[k].tv_sec, (long)ts[k].tv_nsec);
		}
	}
	hj_puts(b, "]");
}

static void stat_struct(struct hj_buf *b, const struct stat *st)
{
	hj_puts(b, "{st_mode=");
	file_mode(b, st->st_mode);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		hj_printf(b, ", st_rdev=makedev(%#x, %#x), ...}", major(st->st_rdev), minor(st->st_rdev));
	else
		hj_printf(b, ", st_size=%ld, ...}", (long)st->st_size);
}

static void statx_struct(struct hj_buf *b, const struct statx *st)
{
	hj_puts(b, "{stx_mask=");
	FLAGS(b, statx_mask, st->stx_mask, "STATX_???");
	hj_puts(b, ", stx_attributes=");
	FLAGS(b, statx_attrs, st->stx_attributes, "STATX_ATTR_???");
	hj_puts(b, ", stx_mode=");
	file_mode(b, st->stx_mode);
	hj_printf(b, ", stx_size=%llu, ...}", (unsigned long long)st->stx_size);
}

/* addr: the program's; shown from a copy, or as the address when it
 * cannot be read */
static void sockaddr_text(struct hj_buf *b, const void *addr, unsigned len)
{
	sa_family_t fam;
	struct sockaddr_storage copy;
	const void *sa = &copy;
	if (!addr) {
		hj_puts(b, "NULL");
		return;
	}
	if (len > sizeof copy)
		len = sizeof copy;
	if (len < sizeof fam || !hj_peek(&copy, addr, len)) {
		hj_printf(b, "%#lx", (unsigned long)addr);
		return;
	}
	memcpy(&fam, sa, sizeof fam);
	hj_puts(b, "{sa_family=");
	family(b, fam);
	if (fam == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = sa;
		const unsigned char *a = (const unsigned char *)&in->sin_addr;
		hj_printf(b, ", sin_port=htons(%u), sin_addr=inet_addr(\"%u.%u.%u.%u\")}",
			  ntohs(in->sin_port), a[0], a[1], a[2], a[3]);
	} else if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = sa;
		char ip[INET6_ADDRSTRLEN] = "";
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		hj_printf(b, ", sin6_port=htons(%u), sin6_flowinfo=htonl(%u), inet_pton(AF_INET6, \"%s\", &sin6_addr), sin6_scope_id=%u}",
			  ntohs(in6->sin6_port), ntohl(in6->sin6_flowinfo), ip, in6->sin6_scope_id);
	} else if (fam == AF_UNIX) {
		const struct sockaddr_un *un = sa;
		size_t n = len - sizeof fam;
		if (n > sizeof un->sun_path)
			n = sizeof un->sun_path;
		if (n && !un->sun_path[0]) {
			hj_puts(b, ", sun_path=@");
			quote(b, un->sun_path + 1, n - 1, sizeof un->sun_path, 0, false);
		} else if (n) {
			hj_puts(b, ", sun_path=");
			quote(b, un->sun_path, n, sizeof un->sun_path, Q_NUL, false);
		}
		hj_puts(b, "}");
	} else if (fam == AF_NETLINK && len >= sizeof(struct sockaddr_nl)) {
		const struct sockaddr_nl *nl = sa;
		hj_printf(b, ", nl_pid=%u, nl_groups=%#08x}", nl->nl_pid, nl->nl_groups);
	} else {
		hj_puts(b, ", sa_data=");
		quote(b, (const char *)sa + sizeof fam, len - sizeof fam, MAXSTR, 0, false);
		hj_puts(b, "}");
	}
}

void hj_sockaddr_str(struct hj_buf *b, const void *sa, unsigned len)
{
	sa_family_t fam;
	if (!sa || len < sizeof fam)
		return;
	memcpy(&fam, sa, sizeof fam);
	if (fam == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = sa;
		const unsigned char *a = (const unsigned char *)&in->sin_addr;
		hj_printf(b, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], ntohs(in->sin_port));
	} else if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = sa;
		char ip[INET6_ADDRSTRLEN] = "";
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		hj_printf(b, "[%s]:%u", ip, ntohs(in6->sin6_port));
	} else if (fam == AF_UNIX) {
		const struct sockaddr_un *un = sa;
		size_t n = len - sizeof fam;
		if (n > sizeof un->sun_path)
			n = sizeof un->sun_path;
		if (n && !un->sun_path[0]) {
			hj_puts(b, "@");
			hj_put(b, un->sun_path + 1, n - 1);
		} else {
			hj_put(b, un->sun_path, strnlen(un->sun_path, n));
		}
	} else {
		family(b, fam);
	}
}

/* Copies up to n items of size sz from the program's p: how many could
 * be read (all at once, or one by one up to the first that cannot). */
static size_t peek_items(void *dst, const void *p, size_t n, size_t sz)
{
	if (!n || hj_peek(dst, p, n * sz))
		return n;
	size_t k = 0;
	while (k < n && hj_peek((char *)dst + k * sz, (const char *)p + k * sz, sz))
		k++;
	return k;
}

/* The end of an array that could be read only up to item k: strace
 * names where it stopped. */
static void array_stop(struct hj_buf *b, const void *p, size_t k, size_t sz, bool sep, bool json)
{
	unsigned long at = (unsigned long)p + k * sz;
	if (json)
		hj_printf(b, "%s%lu]", sep ? ", " : "", at);
	else
		hj_printf(b, "%s... /* %#lx */]", sep ? ", " : "", at);
}

/* iovecs, with `data` bytes of content shown across them (-1: all; -2:
 * none, their addresses only, as strace shows a failed read's) */
static void iovecs(struct hj_buf *b, const struct iovec *v, long n, long data)
{
	struct iovec local[MAXSTR];
	if (!v || n < 0) {
		ptr(b, (long)v, false);
		return;
	}
	size_t want = n < MAXSTR ? (size_t)n : MAXSTR;
	size_t got = peek_items(local, v, want, sizeof *local);
	if (!got && want) {
		ptr(b, (long)v, false);
		return;
	}
	hj_puts(b, "[");
	for (size_t k = 0; k < got; k++) {
		size_t show = local[k].iov_len;
		if (data >= 0 && (size_t)data < show)
			show = (size_t)data;
		hj_puts(b, k ? ", {iov_base=" : "{iov_base=");
		if (data == -2)
			ptr(b, (long)local[k].iov_base, false);
		else
			mem(b, local[k].iov_base, show, 0, false);
		hj_printf(b, ", iov_len=%zu}", local[k].iov_len);
		if (data >= 0)
			data -= (long)show;
	}
	if (got < want)
		array_stop(b, v, got, sizeof *local, got > 0, false);
	else
		hj_puts(b, (size_t)n > want ? ", ...]" : "]");
}

/* m: a copy of the program's msghdr; its control data is copied too */
static void cmsgs(struct hj_buf *b, const struct msghdr *prog)
{
	_Alignas(struct cmsghdr) char control[512];
	struct msghdr copy = *prog, *m = &copy;
	if (copy.msg_controllen > sizeof control)
		copy.msg_controllen = sizeof control;
	if (!hj_peek(control, prog->msg_control, copy.msg_controllen)) {
		hj_printf(b, ", msg_control=%#lx", (unsigned long)prog->msg_control);
		return;
	}
	copy.msg_control = control;
	hj_puts(b, ", msg_control=[");
	int k = 0;
	for (const struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR((struct msghdr *)m, (struct cmsghdr *)cm), k++) {
		hj_printf(b, "%s{cmsg_len=%zu, cmsg_level=", k ? ", " : "", (size_t)cm->cmsg_len);
		SYM(b, sock_levels, (unsigned)cm->cmsg_level, "SOL_??");
		hj_puts(b, ", cmsg_type=");
		const char *t = cm->cmsg_level == SOL_SOCKET ? name_of(scm_types, N(scm_types), (unsigned)cm->cmsg_type) : NULL;
		if (t)
			hj_puts(b, t);
		else
			hj_printf(b, "%#x", cm->cmsg_type);
		size_t dlen = cm->cmsg_len > CMSG_LEN(0) ? cm->cmsg_len - CMSG_LEN(0) : 0;
		if (t && cm->cmsg_type == SCM_RIGHTS) {
			const int *fd = (const int *)CMSG_DATA(cm);
			hj_puts(b, ", cmsg_data=[");
			for (size_t j = 0; j < dlen / sizeof(int); j++)
				hj_printf(b, "%s%d", j ? ", " : "", fd[j]);
			hj_puts(b, "]");
		} else if (t && dlen >= sizeof(struct ucred)) {
			const struct ucred *cr = (const struct ucred *)CMSG_DATA(cm);
			hj_printf(b, ", cmsg_data={pid=%d, uid=%u, gid=%u}", cr->pid, cr->uid, cr->gid);
		}
		hj_puts(b, "}");
	}
	hj_puts(b, "]");
}

/* data: bytes the call moved (-1: all of the iovecs, for sendmsg) */
static void msghdr_text(struct hj_buf *b, const struct msghdr *prog, long data)
{
	struct msghdr copy, *m = &copy;
	if (!COPY_OR_ADDR(b, copy, prog, false))
		return;
	hj_puts(b, "{msg_name=");
	if (m->msg_name && m->msg_namelen)
		sockaddr_text(b, m->msg_name, m->msg_namelen);
	else
		ptr(b, (long)m->msg_name, false);
	hj_printf(b, ", msg_namelen=%u, msg_iov=", (unsigned)m->msg_namelen);
	iovecs(b, m->msg_iov, (long)m->msg_iovlen, data);
	hj_printf(b, ", msg_iovlen=%zu", (size_t)m->msg_iovlen);
	if (m->msg_control && m->msg_controllen)
		cmsgs(b, m);
	hj_printf(b, ", msg_controllen=%zu, msg_flags=", (size_t)m->msg_controllen);
	FLAGS(b, msg_flags, (unsigned)m->msg_flags, "MSG_???");
	hj_puts(b, "}");
}

static void sockopt_name(struct hj_buf *b, int level, long name)
{
	const struct xlat *t = NULL;
	size_t n = 0;
	const char *unknown = NULL;
	switch (level) {
	case SOL_SOCKET: t = so_names; n = N(so_names); unknown = "SO_???"; break;
	case SOL_TCP: t = tcp_names; n = N(tcp_names); unknown = "TCP_???"; break;
	case SOL_IP: t = ip_names; n = N(ip_names); unknown = "IP_???"; break;
	case SOL_IPV6: t = ipv6_names; n = N(ipv6_names); unknown = "IPV6_???"; break;
	}
	if (t)
		sym(b, t, n, (unsigned long)name, unknown);
	else
		hj_printf(b, "%d", (int)name);
}

/* An option's value: an int as [1] (a getsockopt'd SO_ERROR by name),
 * a few by their own form, the others as the pointer (setsockopt) or
 * their bytes in hex (getsockopt), as strace does. */
static void sockopt_val(struct hj_buf *b, int level, int name, const void *p, long len, bool get)
{
	struct linger l;
	int v;
	if (!p) {
		hj_puts(b, "NULL");
	} else if (level == SOL_SOCKET && name == SO_LINGER && len >= (long)sizeof(struct linger)) {
		if (COPY_OR_ADDR(b, l, p, false))
			hj_printf(b, "{l_onoff=%d, l_linger=%d}", l.l_onoff, l.l_linger);
	} else if ((level == SOL_SOCKET && name == SO_BINDTODEVICE) || (level == SOL_TCP && name == TCP_CONGESTION)) {
		mem(b, p, (size_t)(len > 0 ? len : 0), 0, false);
	} else if (len >= (long)sizeof(int)) {
		if (!COPY_OR_ADDR(b, v, p, false))
			return;
		const char *e = get && level == SOL_SOCKET && name == SO_ERROR && v ? hj_errno_name(v) : NULL;
		if (e)
			hj_printf(b, "[%s]", e);
		else
			hj_printf(b, "[%d]", v);
	} else if (get && len > 0) {
		mem(b, p, (size_t)len, Q_HEX, false);
	} else {
		hj_printf(b, "%#lx", (unsigned long)p);
	}
}

static void flock_struct(struct hj_buf *b, const struct flock *fl, bool pid)
{
	hj_puts(b, "{l_type=");
	SYM(b, lock_types, (unsigned long)fl->l_type, "F_???");
	hj_puts(b, ", l_whence=");
	SYM(b, whences, (unsigned long)fl->l_whence, "SEEK_???");
	hj_printf(b, ", l_start=%ld, l_len=%ld", (long)fl->l_start, (long)fl->l_len);
	if (pid)
		hj_printf(b, ", l_pid=%d", fl->l_pid);
	hj_puts(b, "}");
}

/* the program's pollfds, read MAXSTR at a time */
static void pollfds(struct hj_buf *b, const struct pollfd *p, unsigned long n, bool revents)
{
	struct pollfd local[MAXSTR];
	unsigned long shown = 0;
	for (unsigned long at = 0; at < n;) {
		size_t want = n - at < MAXSTR ? n - at : MAXSTR;
		size_t got = peek_items(local, p + at, want, sizeof *local);
		if (!got && !at) {
			ptr(b, (long)p, false);
			return;
		}
		if (!at)
			hj_puts(b, "[");
		for (size_t k = 0; k < got; k++) {
			if (revents && !local[k].revents)
				continue;
			if (shown == MAXSTR) {
				hj_puts(b, ", ...]");
				return;
			}
			hj_printf(b, "%s{fd=%d, %s=", shown++ ? ", " : "", local[k].fd, revents ? "revents" : "events");
			FLAGS(b, poll_events, (unsigned short)(revents ? local[k].revents : local[k].events), "POLL???");
			hj_puts(b, "}");
		}
		if (got < want) {
			array_stop(b, p, at + got, sizeof *local, shown > 0, false);
			return;
		}
		if (!revents && at + got >= MAXSTR && n > MAXSTR) {
			hj_puts(b, ", ...]");
			return;
		}
		at += got;
	}
	if (!n)
		hj_puts(b, "[");
	hj_puts(b, "]");
}

static void ioctl_req(struct hj_buf *b, unsigned long v)
{
	static const char *const dirs[] = { "_IOC_NONE", "_IOC_WRITE", "_IOC_READ", "_IOC_READ|_IOC_WRITE" };
	const char *s = name_of(ioctls, N(ioctls), v & 0xffffffff);
	if (s)
		hj_puts(b, s);
	else
		hj_printf(b, "_IOC(%s, %#lx, %#lx, %#lx)", dirs[(v >> 30) & 3], (v >> 8) & 0xff, v & 0xff, (v >> 16) & 0x3fff);
}

/* ---- arguments ---- */

/* Types that fill a long; the others are ints sign- or zero-extended. */
static bool wide(const char *t)
{
	static const char *const longs[] = { "off_t", "off64_t", "long", "unsigned long", "size_t", "ssize_t", "nfds_t", "time_t" };
	if (strchr(t, '*'))
		return true;
	for (size_t k = 0; k < N(longs); k++)
		if (!strcmp(t, longs[k]))
			return true;
	return false;
}

static long arg(const struct hj_call *c, int i)
{
	return i < hj_calls[c->id].nargs ? c->a[i] : 0;
}

/* In JSON: RAW output is already a JSON value; TXT is strace's text, to
 * be quoted. */
enum { RAW, TXT };

static int arg_text(struct hj_buf *b, struct hj_call *c, int i, bool json)
{
	const struct hj_arg_info *ai = &hj_calls[c->id].args[i];
	const long v = c->a[i];
	const void *p = (const void *)v;
	const bool done = c->after && !hj_is_failure(c);
	const bool w = wide(ai->type);
	const int id = c->id;

	/* every read of the program's memory below goes through peek.c: a
	 * pointer it cannot read is shown as its address, as strace does */
	union {
		int i;
		socklen_t len;
		off_t off;
		pid_t pid;
		int fds[2];
		struct flock fl;
		struct stat st;
		struct statx stx;
		struct timespec ts[2];
		struct timeval tv;
		struct itimerspec its;
		struct timeb tb;
		timer_t timer;
		struct msghdr msg;
		struct epoll_event ev[MAXSTR];
		char *vec[MAXSTR + 1];
	} u;

	switch (ai->kind) {
	case K_INT:
		if ((id == HJ_socket || id == HJ_socketpair) && i == 2) {
			if (c->a[0] == AF_INET || c->a[0] == AF_INET6)
				SYM(b, ipprotos, (unsigned long)v, "IPPROTO_???");
			else if (c->a[0] == AF_NETLINK)
				SYM(b, netlink_protos, (unsigned long)v, "NETLINK_???");
			else
				hj_printf(b, "%d", (int)v);
			return TXT;
		}
		if ((id == HJ_setsockopt || id == HJ_getsockopt) && i == 2) {
			sockopt_name(b, (int)c->a[1], v);
			return TXT;
		}
		if (id == HJ_mmap && i == 5) {
			hj_printf(b, json ? "%ld" : "%#lx", v);
			return RAW;
		}
		if (id == HJ_fcntl && i == 2) {
			switch ((int)c->a[1]) {
			case F_GETFD: case F_GETFL: case F_GETOWN: case F_GETSIG:
			case F_GETLEASE: case F_GETPIPE_SZ: case F_GET_SEALS:
				return RAW;	/* takes no argument: strace shows none */
			case F_SETFD:
				FLAGS(b, fd_flags, (unsigned long)v, "FD_???");
				return TXT;
			case F_SETFL:
				open_mode(b, (unsigned)v);
				return TXT;
			case F_GETLK: case F_SETLK: case F_SETLKW:
			case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
				if (!p || !hj_peek(&u.fl, p, sizeof u.fl)) {
					ptr(b, v, json);
					return RAW;
				}
				flock_struct(b, &u.fl, done && (c->a[1] == F_GETLK || c->a[1] == F_OFD_GETLK));
				return TXT;
			case F_ADD_SEALS:
				FLAGS(b, seals, (unsigned long)v, "F_SEAL_???");
				return TXT;
			case F_SETLEASE:
				SYM(b, lock_types, (unsigned long)v, "F_???");
				return TXT;
			case F_DUPFD: case F_DUPFD_CLOEXEC: case F_SETOWN: case F_SETSIG: case F_SETPIPE_SZ:
				hj_printf(b, "%d", (int)v);
				return RAW;
			default:
				hj_printf(b, json ? "%lu" : "%#lx", (unsigned long)v);
				return RAW;
			}
		}
		/* fall through */
	case K_FD:
		hj_printf(b, "%ld", w ? v : (long)(int)v);
		return RAW;
	case K_UINT:
		hj_printf(b, "%lu", w ? (unsigned long)v : (unsigned long)(unsigned)v);
		return RAW;
	case K_DIRFD:
		if ((int)v == AT_FDCWD && !json)
			hj_puts(b, "AT_FDCWD");
		else
			hj_printf(b, "%d", (int)v);
		return RAW;
	case K_HEX: {
		unsigned long u = w ? (unsigned long)v : (unsigned)v;
		if (id == HJ_renameat2)
			FLAGS(b, rename_flags, u, "RENAME_???");
		else if (id == HJ_clock_nanosleep || id == HJ_timer_settime)
			FLAGS(b, timer_flags, u, "TIMER_???");
		else if (id == HJ_timerfd_settime)
			FLAGS(b, timerfd_flags, u, "TFD_TIMER_???");
		else if (id == HJ_fallocate)
			FLAGS(b, falloc_flags, u, "FALLOC_FL_???");
		else if (id == HJ_statx)
			FLAGS(b, statx_mask, u, "STATX_???");
		else if (id == HJ_ioctl)
			ioctl_req(b, u);
		else {
			hj_printf(b, json ? "%lu" : "%#lx", u);
			return RAW;
		}
		return TXT;
	}
	case K_PTR:
		if (id == HJ_ioctl && i == 2) {
			/* strace shows an ioctl's argument as a number, 0 included */
			unsigned long req = (unsigned long)c->a[1] & 0xffffffff;
			if (p && (req == FIONBIO || (done && (req == FIONREAD || req == TIOCOUTQ || req == TIOCGPGRP))) &&
			    hj_peek(&u.i, p, sizeof u.i))
				hj_printf(b, "[%d]", u.i);
			else
				hj_printf(b, json ? "%lu" : "%#lx", (unsigned long)v);
			return RAW;
		}
		if (!p)
			break;
		if (!strcmp(ai->type, "socklen_t *")) {
			if (!COPY_OR_ADDR(b, u.len, p, json))
				return RAW;
			hj_printf(b, "[%u]", u.len);
			return RAW;
		}
		if (id == HJ_setsockopt && i == 3) {
			sockopt_val(b, (int)c->a[1], (int)c->a[2], p, (long)(unsigned)c->a[4], false);
			return TXT;
		}
		if (id == HJ_getsockopt && i == 3 && done && c->a[4] && hj_peek(&u.len, (void *)c->a[4], sizeof u.len)) {
			sockopt_val(b, (int)c->a[1], (int)c->a[2], p, (long)u.len, true);
			return TXT;
		}
		if (id == HJ_epoll_wait && i == 1 && done) {
			size_t want = c->ret < MAXSTR ? (size_t)c->ret : MAXSTR;
			size_t got = peek_items(u.ev, p, want, sizeof u.ev[0]);
			if (!got && want)
				break;
			hj_puts(b, "[");
			for (size_t k = 0; k < got; k++) {
				hj_puts(b, k ? ", {events=" : "{events=");
				FLAGS(b, epoll_events, u.ev[k].events, "EPOLL???");
				hj_printf(b, ", data={u32=%u, u64=%llu}}", u.ev[k].data.u32, (unsigned long long)u.ev[k].data.u64);
			}
			if (got < want)
				array_stop(b, p, got, sizeof u.ev[0], got > 0, false);
			else
				hj_puts(b, c->ret > MAXSTR ? ", ...]" : "]");
			return TXT;
		}
		if (id == HJ_statx && i == 4 && done) {
			if (!COPY_OR_ADDR(b, u.stx, p, json))
				return RAW;
			statx_struct(b, &u.stx);
			return TXT;
		}
		break;
	case K_PATH: case K_STR: {
		/* strace shows a path whole, up to PATH_MAX - 1 bytes */
		bool whole = ai->kind == K_PATH || id == HJ_symlink || id == HJ_symlinkat;
		str(b, p, whole ? 4095 : MAXSTR, json, ai->kind == K_PATH ? hj_path_ok(c, i) : hj_proven(c));
		return RAW;
	}
	case K_BUF_IN:
		if (!p)
			break;
		/* not proven by success: /dev/null takes a write unread */
		mem(b, p, (size_t)arg(c, i + 1), 0, json);
		return RAW;
	case K_BUF_OUT: {
		/* an injected result may claim more than the buffer holds */
		unsigned long n = (unsigned long)c->ret, size = (unsigned long)arg(c, i + 1);
		if (!p || !done || c->ret < 0)
			break;
		mem(b, p, n < size ? n : size, 0, json);
		return RAW;
	}
	case K_IOV_IN: case K_IOV_OUT:
		if (!p || (ai->kind == K_IOV_OUT && !c->after))
			break;
		iovecs(b, p, arg(c, i + 1), ai->kind != K_IOV_OUT ? -1 : done ? c->ret : -2);
		return TXT;
	case K_MSGHDR_IN: case K_MSGHDR_OUT:
		if (!p)
			break;
		if (ai->kind == K_MSGHDR_OUT && !done) {
			if (!COPY_OR_ADDR(b, u.msg, p, json))
				return RAW;
			hj_printf(b, "{msg_namelen=%u}", (unsigned)u.msg.msg_namelen);
		} else
			msghdr_text(b, p, ai->kind == K_MSGHDR_OUT ? c->ret : -1);
		return TXT;
	case K_OFLAGS:
		if (id == HJ_open || id == HJ_openat)
			open_mode(b, (unsigned)v);
		else if (id == HJ_accept4)
			FLAGS(b, sock_flags, (unsigned)v, "SOCK_???");
		else
			FLAGS(b, open_flags, (unsigned)v, "O_???");
		return TXT;
	case K_MODE:
		if ((id == HJ_open || id == HJ_openat) && !(c->a[i - 1] & (O_CREAT | 020000000)))
			return RAW;	/* no mode without O_CREAT or O_TMPFILE */
		hj_printf(b, "%#03o", (unsigned)v);
		return TXT;
	case K_ATFLAGS:
		if (id == HJ_faccessat)
			FLAGS(b, at_eaccess_flags, (unsigned)v, "AT_???");
		else if (id == HJ_statx) {
			/* the sync type first, always named */
			bool sep = true;
			SYM(b, statx_sync, (unsigned)v & 0x6000, "AT_STATX_???");
			unsigned long left = bits(b, at_flags, N(at_flags), (unsigned)v & ~0x6000u, &sep);
			if (left)
				hj_printf(b, "|%#lx", left);
		} else
			FLAGS(b, at_flags, (unsigned)v, "AT_???");
		return TXT;
	case K_AMODE:
		FLAGS(b, access_modes, (unsigned)v, "?_OK");
		return TXT;
	case K_WHENCE:
		SYM(b, whences, (unsigned)v, "SEEK_???");
		return TXT;
	case K_FCNTL:
		SYM(b, fcntl_cmds, (unsigned)v, "F_???");
		return TXT;
	case K_PROT:
		FLAGS(b, prots, (unsigned)v, "PROT_???");
		return TXT;
	case K_MAPFLAGS: {
		/* the mapping type, the flags, then the huge page size */
		unsigned long u = (unsigned)v, huge = u >> MAP_HUGE_SHIFT & MAP_HUGE_MASK;
		const char *t = name_of(map_types, N(map_types), u & 0xf);
		bool sep = false;
		if (t) {
			hj_puts(b, t);
			sep = true;
			u &= ~0xful;
		}
		u = bits(b, map_flags, N(map_flags), u & ~((unsigned long)MAP_HUGE_MASK << MAP_HUGE_SHIFT), &sep);
		if (huge) {
			hj_printf(b, "%s%lu<<MAP_HUGE_SHIFT", sep ? "|" : "", huge);
			sep = true;
		}
		if (u && sep)
			hj_printf(b, "|%#lx", u);
		else if (!sep && u)
			hj_printf(b, "%#lx /* MAP_??? */", u);
		else if (!sep)
			hj_puts(b, "MAP_FILE");	/* strace's name for 0 */
		return TXT;
	}
	case K_AF:
		family(b, (unsigned)v);
		return TXT;
	case K_SOCKTYPE: {
		const char *t = name_of(sock_types, N(sock_types), (unsigned)v & 0xf);
		if (!t) {
			hj_printf(b, "%#x /* SOCK_??? */", (unsigned)v);
			return TXT;
		}
		bool sep = true;
		hj_puts(b, t);
		unsigned long left = bits(b, sock_flags, N(sock_flags), (unsigned)v & ~0xfu, &sep);
		if (left)
			hj_printf(b, "|%#lx", left);
		return TXT;
	}
	case K_SOCKLEVEL:
		SYM(b, sock_levels, (unsigned)v, "SOL_??");
		return TXT;
	case K_SHUT:
		SYM(b, shut_hows, (unsigned)v, "SHUT_???");
		return TXT;
	case K_MSGFLAGS:
		FLAGS(b, msg_flags, (unsigned)v, "MSG_???");
		return TXT;
	case K_SIGNAL:
		signame(b, (int)v);
		return TXT;
	case K_CLOCK:
		SYM(b, clocks, (unsigned)v, "CLOCK_???");
		return TXT;
	case K_SOCKADDR:
		if (!p)
			break;
		sockaddr_text(b, p, (unsigned)arg(c, i + 1));
		return TXT;
	case K_SOCKADDR_OUT: {
		const socklen_t *lp = (const socklen_t *)arg(c, i + 1);
		if (!p || !done || !lp || !hj_peek(&u.len, lp, sizeof u.len) || !u.len)
			break;
		sockaddr_text(b, p, u.len < sizeof(struct sockaddr_storage) ? u.len : sizeof(struct sockaddr_storage));
		return TXT;
	}
	case K_STAT:
		if (!p || !done || !hj_peek(&u.st, p, sizeof u.st))
			break;
		stat_struct(b, &u.st);
		return TXT;
	case K_TIMES:
		if (!p || !hj_peek(&u.ts, p, sizeof u.ts))
			break;
		utime_times(b, u.ts);
		return TXT;
	case K_TIMESPEC: case K_TIMESPEC_OUT:
		if (!p || (ai->kind == K_TIMESPEC_OUT && !done) || !hj_peek(&u.ts[0], p, sizeof u.ts[0]))
			break;
		timespec_text(b, &u.ts[0]);
		return TXT;
	case K_TIMEVAL: case K_TIMEVAL_OUT:
		if (!p || (ai->kind == K_TIMEVAL_OUT && !done) || !hj_peek(&u.tv, p, sizeof u.tv))
			break;
		hj_printf(b, "{tv_sec=%ld, tv_usec=%ld}", (long)u.tv.tv_sec, (long)u.tv.tv_usec);
		return TXT;
	case K_ITIMERSPEC: case K_ITIMERSPEC_OUT:
		if (!p || (ai->kind == K_ITIMERSPEC_OUT && !done) || !hj_peek(&u.its, p, sizeof u.its))
			break;
		itimerspec_text(b, &u.its);
		return TXT;
	case K_TIMEB_OUT:
		if (!p || !done || !hj_peek(&u.tb, p, sizeof u.tb))
			break;
		hj_printf(b, "{time=%ld, millitm=%u}", (long)u.tb.time, (unsigned)u.tb.millitm);
		return TXT;
	case K_TIMERP:
		if (!p || !done || !hj_peek(&u.timer, p, sizeof u.timer))
			break;
		hj_printf(b, "[%ld]", (long)u.timer);
		return RAW;
	case K_COND:
		break;
	case K_FDPAIR:
		if (!p || !done || !hj_peek(&u.fds, p, sizeof u.fds))
			break;
		hj_printf(b, "[%d, %d]", u.fds[0], u.fds[1]);
		return RAW;
	case K_POLLFD:
		if (!p)
			break;
		pollfds(b, p, (unsigned long)arg(c, i + 1), false);
		return TXT;
	case K_OFFP:
		if (!p || !hj_peek(&u.off, p, sizeof u.off))
			break;
		hj_printf(b, "[%ld]", (long)u.off);
		return RAW;
	case K_PIDP:
		if (!p || !done || !hj_peek(&u.pid, p, sizeof u.pid))
			break;
		hj_printf(b, "[%d]", u.pid);
		return RAW;
	case K_ARGV: {
		/* up to MAXSTR strings, and one more slot to know if cut */
		size_t got = p ? peek_items(u.vec, p, MAXSTR + 1, sizeof u.vec[0]) : 0;
		if (!got)	/* NULL or unreadable */
			break;
		hj_puts(b, "[");
		for (size_t k = 0; k < got && u.vec[k]; k++) {
			if (k)
				hj_puts(b, ", ");
			if (k == MAXSTR) {
				hj_puts(b, json ? "\"...\"" : "...");
				break;
			}
			str(b, u.vec[k], MAXSTR, json, false);
			if (k + 1 == got && got < MAXSTR + 1) {	/* the next slot cannot be read */
				array_stop(b, p, got, sizeof u.vec[0], true, json);
				return RAW;
			}
		}
		hj_puts(b, "]");
		return RAW;
	}
	case K_ENVP: {
		/* counted MAXSTR slots at a time, up to the NULL or a fault */
		size_t n = 0, got, k = 0;
		bool end = false;
		if (!p)
			break;
		do {
			got = peek_items(u.vec, (char *const *)p + n, MAXSTR, sizeof u.vec[0]);
			for (k = 0; k < got && u.vec[k]; k++)
				;
			n += k;
			end = k < got;
		} while (!end && got == MAXSTR);
		if (!end && !n)	/* not one slot could be read */
			break;
		hj_printf(b, "%#lx /* %zu var%s%s */", (unsigned long)v, n, n == 1 ? "" : "s", end ? "" : ", unterminated");
		return TXT;
	}
	}
	ptr(b, v, json);
	return RAW;
}

void hj_decode_arg(struct hj_buf *b, struct hj_call *c, int i, bool json)
{
	if (i < 0 || i >= hj_calls[c->id].nargs)
		return;
	if (!json) {
		arg_text(b, c, i, false);
		return;
	}
	char tmp[8192];
	struct hj_buf t = { tmp, 0, sizeof tmp };
	tmp[0] = '\0';
	if (arg_text(&t, c, i, true) == RAW || !t.len)
		hj_put(b, tmp, t.len);
	else
		quote(b, tmp, t.len, t.len, 0, true);
}

/* ---- results ---- */

bool hj_is_failure(const struct hj_call *c)
{
	switch (hj_calls[c->id].ret) {
	case R_PTR: return c->ret == 0 && !c->end;
	case R_MMAP: return (void *)c->ret == MAP_FAILED;
	case R_ERRNUM: case R_EAI: return c->ret != 0;
	case R_UNSLEPT: case R_VOID: return false;
	default: return c->ret == -1;
	}
}

/* " ENOENT (No such file or directory)" */
static void errno_text(struct hj_buf *b, int err)
{
	if (!err)
		return;
	const char *name = hj_errno_name(err);
	const char *msg = strerrordesc_np(err);	/* never translated nor allocated */
	if (name)
		hj_printf(b, " %s", name);
	else
		hj_printf(b, " %d", err);
	if (msg)
		hj_printf(b, " (%s)", msg);
	else
		hj_printf(b, " (Unknown error %d)", err);
}

void hj_decode_ret(struct hj_buf *b, struct hj_call *c, bool json)
{
	enum hj_ret rk = hj_calls[c->id].ret;
	long r = c->ret;
	if (json) {
		if (rk == R_VOID)
			hj_puts(b, "null");
		else if (rk == R_PTR || rk == R_MMAP || rk == R_UNSLEPT)
			hj_printf(b, "%lu", rk == R_UNSLEPT ? (unsigned long)(unsigned)r : (unsigned long)r);
		else
			hj_printf(b, "%ld", r);
		return;
	}
	if (rk == R_VOID) {
		hj_puts(b, "<void>");
		return;
	}
	if (hj_is_failure(c)) {
		if (rk == R_PTR) {
			hj_puts(b, "NULL");
			errno_text(b, c->err);
		} else if (rk == R_ERRNUM) {
			hj_printf(b, "%ld", r);
			errno_text(b, (int)r);
		} else if (rk == R_EAI) {
			const char *name = name_of(eai_codes, N(eai_codes), (unsigned long)(int)r);
			hj_printf(b, "%ld %s (%s)", r, name ? name : "EAI_???", gai_strerror((int)r));
		} else {
			hj_printf(b, "%ld", r);
			errno_text(b, c->err);
		}
		return;
	}
	switch (rk) {
	case R_PTR: case R_MMAP:
		hj_printf(b, "%#lx", (unsigned long)r);
		return;
	case R_UNSLEPT:
		hj_printf(b, "%u", (unsigned)r);
		return;
	default:
		break;
	}
	long cmd = c->id == HJ_fcntl ? c->a[1] : -1;
	if ((cmd == F_GETFL || ((cmd == F_GETFD || cmd == F_GET_SEALS) && r))) {
		/* what these return is a flag set: strace shows it in hex and by name */
		hj_printf(b, "%#lx (%s ", (unsigned long)r, cmd == F_GET_SEALS ? "seals" : "flags");
		if (cmd == F_GETFL)
			open_mode(b, (unsigned long)r);
		else if (cmd == F_GETFD)
			FLAGS(b, fd_flags, (unsigned long)r, "FD_???");
		else
			FLAGS(b, seals, (unsigned long)r, "F_SEAL_???");
		hj_puts(b, ")");
		return;
	}
	hj_printf(b, "%ld", r);
	if ((c->id == HJ_poll || c->id == HJ_select || c->id == HJ_ppoll || c->id == HJ_pselect) && r == 0)
		hj_puts(b, " (Timeout)");
	else if ((c->id == HJ_poll || c->id == HJ_ppoll) && r > 0 && c->a[0]) {
		hj_puts(b, " (");
		pollfds(b, (const struct pollfd *)c->a[0], (unsigned long)c->a[1], true);
		hj_puts(b, ")");
	}
}
