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
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timeb.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
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
static const struct xlat close_range_flags[] = { { 2, "CLOSE_RANGE_UNSHARE" }, { 4, "CLOSE_RANGE_CLOEXEC" } };
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
	static const char *const longs[] = { "off_t", "off64_t", "long", "unsigned long", "size_t", "ssize_t", "nfds_t", "time_t", "uint64_t", "aio_context_t" };
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

/* What a family's decoder printed. In JSON: RAW output is already a JSON
 * value; TXT is strace's text, to be quoted. ADDR: nothing printed, show
 * the argument as an address (strace's form for what it does not read). */
enum { RAW, TXT, ADDR };

/* One argument being shown: the call, which one, its value as a pointer,
 * and whether the call succeeded (what it filled can be read). */
struct arg_ctx {
	struct hj_call *c;
	const struct hj_arg_info *ai;
	int i, id;
	long v;
	const void *p;
	bool done, json;
};

/* ---- numbers ---- */

static int fcntl_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	struct flock fl;
	switch ((int)x->c->a[1]) {
	case F_GETFD: case F_GETFL: case F_GETOWN: case F_GETSIG:
	case F_GETLEASE: case F_GETPIPE_SZ: case F_GET_SEALS:
		return RAW;	/* takes no argument: strace shows none */
	case F_SETFD:
		FLAGS(b, fd_flags, (unsigned long)x->v, "FD_???");
		return TXT;
	case F_SETFL:
		open_mode(b, (unsigned)x->v);
		return TXT;
	case F_GETLK: case F_SETLK: case F_SETLKW:
	case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
		if (!x->p || !hj_peek(&fl, x->p, sizeof fl))
			return ADDR;
		flock_struct(b, &fl, x->done && (x->c->a[1] == F_GETLK || x->c->a[1] == F_OFD_GETLK));
		return TXT;
	case F_ADD_SEALS:
		FLAGS(b, seals, (unsigned long)x->v, "F_SEAL_???");
		return TXT;
	case F_SETLEASE:
		SYM(b, lock_types, (unsigned long)x->v, "F_???");
		return TXT;
	case F_DUPFD: case F_DUPFD_CLOEXEC: case F_SETOWN: case F_SETSIG: case F_SETPIPE_SZ:
		hj_printf(b, "%d", (int)x->v);
		return RAW;
	default:
		hj_printf(b, x->json ? "%lu" : "%#lx", (unsigned long)x->v);
		return RAW;
	}
}

static int socket_int(struct hj_buf *b, const struct arg_ctx *x);

/* K_INT, K_FD, K_UINT, K_DIRFD, K_HEX: numbers, some with a call's names */
static int number_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	const bool w = wide(x->ai->type);
	const long v = x->v;
	const int id = x->id;
	switch (x->ai->kind) {
	case K_INT:
		if ((id == HJ_socket || id == HJ_socketpair || id == HJ_setsockopt || id == HJ_getsockopt) && x->i == 2)
			return socket_int(b, x);
		if (id == HJ_mmap && x->i == 5) {
			hj_printf(b, x->json ? "%ld" : "%#lx", v);
			return RAW;
		}
		if (id == HJ_fcntl && x->i == 2)
			return fcntl_arg(b, x);
		/* fall through */
	case K_FD:
		hj_printf(b, "%ld", w ? v : (long)(int)v);
		return RAW;
	case K_UINT:
		hj_printf(b, "%lu", w ? (unsigned long)v : (unsigned long)(unsigned)v);
		return RAW;
	case K_DIRFD:
		if ((int)v == AT_FDCWD && !x->json)
			hj_puts(b, "AT_FDCWD");
		else
			hj_printf(b, "%d", (int)v);
		return RAW;
	default: {	/* K_HEX */
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
		else if (id == HJ_close_range)
			FLAGS(b, close_range_flags, u, "CLOSE_RANGE_???");
		else {
			hj_printf(b, x->json ? "%lu" : "%#lx", u);
			return RAW;
		}
		return TXT;
	}
	}
}

/* K_PTR: an address, or what a few calls' untyped pointers hold */
static int pointer_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	const int id = x->id, i = x->i;
	const void *p = x->p;
	union {
		int i;
		socklen_t len;
		struct statx stx;
		struct epoll_event ev[MAXSTR];
	} u;
	if (id == HJ_ioctl && i == 2) {
		/* strace shows an ioctl's argument as a number, 0 included */
		unsigned long req = (unsigned long)x->c->a[1] & 0xffffffff;
		if (p && (req == FIONBIO || (x->done && (req == FIONREAD || req == TIOCOUTQ || req == TIOCGPGRP))) &&
		    hj_peek(&u.i, p, sizeof u.i))
			hj_printf(b, "[%d]", u.i);
		else
			hj_printf(b, x->json ? "%lu" : "%#lx", (unsigned long)x->v);
		return RAW;
	}
	if (!p)
		return ADDR;
	if (!strcmp(x->ai->type, "socklen_t *")) {
		if (!COPY_OR_ADDR(b, u.len, p, x->json))
			return RAW;
		hj_printf(b, "[%u]", u.len);
		return RAW;
	}
	if (id == HJ_setsockopt && i == 3) {
		sockopt_val(b, (int)x->c->a[1], (int)x->c->a[2], p, (long)(unsigned)x->c->a[4], false);
		return TXT;
	}
	if (id == HJ_getsockopt && i == 3 && x->done && x->c->a[4] && hj_peek(&u.len, (void *)x->c->a[4], sizeof u.len)) {
		sockopt_val(b, (int)x->c->a[1], (int)x->c->a[2], p, (long)u.len, true);
		return TXT;
	}
	if (id == HJ_epoll_wait && i == 1 && x->done) {
		long ret = x->c->ret;
		size_t want = ret < MAXSTR ? (size_t)ret : MAXSTR;
		size_t got = peek_items(u.ev, p, want, sizeof u.ev[0]);
		if (!got && want)
			return ADDR;
		hj_puts(b, "[");
		for (size_t k = 0; k < got; k++) {
			hj_puts(b, k ? ", {events=" : "{events=");
			FLAGS(b, epoll_events, u.ev[k].events, "EPOLL???");
			hj_printf(b, ", data={u32=%u, u64=%llu}}", u.ev[k].data.u32, (unsigned long long)u.ev[k].data.u64);
		}
		if (got < want)
			array_stop(b, p, got, sizeof u.ev[0], got > 0, false);
		else
			hj_puts(b, ret > MAXSTR ? ", ...]" : "]");
		return TXT;
	}
	if (id == HJ_statx && i == 4 && x->done) {
		if (!COPY_OR_ADDR(b, u.stx, p, x->json))
			return RAW;
		statx_struct(b, &u.stx);
		return TXT;
	}
	return ADDR;
}

/* ---- strings, buffers, vectors ---- */

static int data_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	const struct hj_call *c = x->c;
	const void *p = x->p;
	const bool json = x->json;
	char *vec[MAXSTR + 1];
	switch (x->ai->kind) {
	case K_PATH: case K_STR: {
		/* strace shows a path whole, up to PATH_MAX - 1 bytes */
		bool whole = x->ai->kind == K_PATH || x->id == HJ_symlink || x->id == HJ_symlinkat;
		str(b, p, whole ? 4095 : MAXSTR, json, x->ai->kind == K_PATH ? hj_path_ok(x->c, x->i) : hj_proven(c));
		return RAW;
	}
	case K_STR_OUT:
		if (!p || !x->done)
			return ADDR;
		str(b, p, 4095, json, false);
		return RAW;
	case K_BUF_IN:
		if (!p)
			return ADDR;
		/* not proven by success: /dev/null takes a write unread */
		mem(b, p, (size_t)arg(c, x->i + 1), 0, json);
		return RAW;
	case K_BUF_OUT: {
		/* an injected result may claim more than the buffer holds */
		unsigned long n = (unsigned long)c->ret, size = (unsigned long)arg(c, x->i + 1);
		if (!p || !x->done || c->ret < 0)
			return ADDR;
		/* strace shows random bytes in hex */
		mem(b, p, n < size ? n : size, x->id == HJ_getrandom ? Q_HEX : 0, json);
		return RAW;
	}
	case K_IOV_IN: case K_IOV_OUT:
		if (!p || (x->ai->kind == K_IOV_OUT && !c->after))
			return ADDR;
		iovecs(b, p, arg(c, x->i + 1), x->ai->kind != K_IOV_OUT ? -1 : x->done ? c->ret : -2);
		return TXT;
	case K_ARGV: {
		/* up to MAXSTR strings, and one more slot to know if cut */
		size_t got = p ? peek_items(vec, p, MAXSTR + 1, sizeof vec[0]) : 0;
		if (!got)	/* NULL or unreadable */
			return ADDR;
		hj_puts(b, "[");
		for (size_t k = 0; k < got && vec[k]; k++) {
			if (k)
				hj_puts(b, ", ");
			if (k == MAXSTR) {
				hj_puts(b, json ? "\"...\"" : "...");
				break;
			}
			str(b, vec[k], MAXSTR, json, false);
			if (k + 1 == got && got < MAXSTR + 1) {	/* the next slot cannot be read */
				array_stop(b, p, got, sizeof vec[0], true, json);
				return RAW;
			}
		}
		hj_puts(b, "]");
		return RAW;
	}
	default: {	/* K_ENVP: counted MAXSTR slots at a time, up to the NULL or a fault */
		size_t n = 0, got, k = 0;
		bool end = false;
		if (!p)
			return ADDR;
		do {
			got = peek_items(vec, (char *const *)p + n, MAXSTR, sizeof vec[0]);
			for (k = 0; k < got && vec[k]; k++)
				;
			n += k;
			end = k < got;
		} while (!end && got == MAXSTR);
		if (!end && !n)	/* not one slot could be read */
			return ADDR;
		hj_printf(b, "%#lx /* %zu var%s%s */", (unsigned long)x->v, n, n == 1 ? "" : "s", end ? "" : ", unterminated");
		return TXT;
	}
	}
}

/* ---- files and descriptors ---- */

static const struct xlat fadvices[] = {
	X(POSIX_FADV_NORMAL), X(POSIX_FADV_RANDOM), X(POSIX_FADV_SEQUENTIAL),
	X(POSIX_FADV_WILLNEED), X(POSIX_FADV_DONTNEED), X(POSIX_FADV_NOREUSE),
};
/* the flags of calls that make a descriptor: O_ values, their own names */
static const struct xlat efd_flags[] = { { 1, "EFD_SEMAPHORE" }, { O_CLOEXEC, "EFD_CLOEXEC" }, { O_NONBLOCK, "EFD_NONBLOCK" } };
static const struct xlat epoll_flags[] = { { O_CLOEXEC, "EPOLL_CLOEXEC" } };
static const struct xlat in_flags[] = { { O_NONBLOCK, "IN_NONBLOCK" }, { O_CLOEXEC, "IN_CLOEXEC" } };
static const struct xlat tfd_flags[] = { { O_CLOEXEC, "TFD_CLOEXEC" }, { O_NONBLOCK, "TFD_NONBLOCK" } };
static const struct xlat sfd_flags[] = { { O_CLOEXEC, "SFD_CLOEXEC" }, { O_NONBLOCK, "SFD_NONBLOCK" } };
static const struct xlat xattr_flags[] = { { 1, "XATTR_CREATE" }, { 2, "XATTR_REPLACE" } };
static const struct xlat fs_magics[] = {
	{ 0xef53, "EXT2_SUPER_MAGIC" }, { 0x01021994, "TMPFS_MAGIC" }, { 0x9fa0, "PROC_SUPER_MAGIC" },
	{ 0x62656572, "SYSFS_MAGIC" }, { 0x794c7630, "OVERLAYFS_SUPER_MAGIC" },
	{ 0x9123683e, "BTRFS_SUPER_MAGIC" }, { 0x58465342, "XFS_SUPER_MAGIC" },
	{ 0x6969, "NFS_SUPER_MAGIC" }, { 0x1cd1, "DEVPTS_SUPER_MAGIC" },
	{ 0x63677270, "CGROUP2_SUPER_MAGIC" }, { 0x27e0eb, "CGROUP_SUPER_MAGIC" },
	{ 0x4d44, "MSDOS_SUPER_MAGIC" }, { 0x2011bab0, "EXFAT_SUPER_MAGIC" },
	{ 0x65735546, "FUSE_SUPER_MAGIC" }, { 0x73717368, "SQUASHFS_MAGIC" },
	{ 0x858458f6, "RAMFS_MAGIC" }, { 0xf97cff8c, "SELINUX_MAGIC" },
	{ 0x64626720, "DEBUGFS_MAGIC" }, { 0x74726163, "TRACEFS_MAGIC" },
	{ 0x42494e4d, "BINFMTFS_MAGIC" }, { 0x50495045, "PIPEFS_MAGIC" },
	{ 0x534f434b, "SOCKFS_MAGIC" }, { 0x6e736673, "NSFS_MAGIC" }, { 0xcafe4a11, "BPF_FS_MAGIC" },
};
static const struct xlat statfs_flags[] = {
	{ 0x1, "ST_RDONLY" }, { 0x2, "ST_NOSUID" }, { 0x4, "ST_NODEV" }, { 0x8, "ST_NOEXEC" },
	{ 0x10, "ST_SYNCHRONOUS" }, { 0x20, "ST_VALID" }, { 0x40, "ST_MANDLOCK" },
	{ 0x400, "ST_NOATIME" }, { 0x800, "ST_NODIRATIME" }, { 0x1000, "ST_RELATIME" },
	{ 0x2000, "ST_NOSYMFOLLOW" },
};

static void statfs_struct(struct hj_buf *b, const struct statfs *f)
{
	hj_puts(b, "{f_type=");
	SYM(b, fs_magics, (unsigned long)f->f_type, "???");
	hj_printf(b, ", f_bsize=%ld, f_blocks=%lu, f_bfree=%lu, f_bavail=%lu, f_files=%lu, f_ffree=%lu",
		  (long)f->f_bsize, (unsigned long)f->f_blocks, (unsigned long)f->f_bfree,
		  (unsigned long)f->f_bavail, (unsigned long)f->f_files, (unsigned long)f->f_ffree);
	int fsid[2];
	memcpy(fsid, &f->f_fsid, sizeof fsid);
	hj_printf(b, ", f_fsid={val=[%#x, %#x]}, f_namelen=%ld, f_frsize=%ld, f_flags=",
		  (unsigned)fsid[0], (unsigned)fsid[1], (long)f->f_namelen, (long)f->f_frsize);
	FLAGS(b, statfs_flags, (unsigned long)f->f_flags, "ST_???");
	hj_puts(b, "}");
}

/* getdents' buffer after the call: how many entries it holds (the
 * kernel's records, both kinds, keep their length at byte 16) */
static int dirents(struct hj_buf *b, const struct arg_ctx *x)
{
	long len = x->c->ret;
	if (!x->p || !x->done || len < 0)
		return ADDR;
	size_t n = 0;
	for (long at = 0; at + 18 <= len;) {
		unsigned short reclen;
		if (!hj_peek(&reclen, (const char *)x->p + at + 16, sizeof reclen))
			return ADDR;
		if (!reclen)
			break;
		n++;
		at += reclen;
	}
	if (x->json)
		return ADDR;	/* the address; the count is the text's comment */
	hj_printf(b, "%#lx /* %zu entries */", (unsigned long)x->v, n);
	return TXT;
}

static int file_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	const int id = x->id;
	const unsigned v = (unsigned)x->v;
	union {
		int fds[2];
		off_t off;
		struct stat st;
		struct statfs sf;
		struct timespec ts[2];
	} u;
	switch (x->ai->kind) {
	case K_OFLAGS:
		if (id == HJ_open || id == HJ_openat)
			open_mode(b, v);
		else if (id == HJ_accept4)
			FLAGS(b, sock_flags, v, "SOCK_???");
		else if (id == HJ_eventfd2)
			FLAGS(b, efd_flags, v, "EFD_???");
		else if (id == HJ_epoll_create1)
			FLAGS(b, epoll_flags, v, "EPOLL_???");
		else if (id == HJ_inotify_init1)
			FLAGS(b, in_flags, v, "IN_???");
		else if (id == HJ_timerfd_create)
			FLAGS(b, tfd_flags, v, "TFD_???");
		else if (id == HJ_signalfd4)
			FLAGS(b, sfd_flags, v, "SFD_???");
		else
			FLAGS(b, open_flags, v, "O_???");
		return TXT;
	case K_MODE:
		if ((id == HJ_open || id == HJ_openat) && !(x->c->a[x->i - 1] & (O_CREAT | 020000000)))
			return RAW;	/* no mode without O_CREAT or O_TMPFILE */
		hj_printf(b, "%#03o", v);
		return TXT;
	case K_ATFLAGS:
		if (id == HJ_faccessat || id == HJ_faccessat2)
			FLAGS(b, at_eaccess_flags, v, "AT_???");
		else if (id == HJ_statx) {
			/* the sync type first, always named */
			bool sep = true;
			SYM(b, statx_sync, v & 0x6000, "AT_STATX_???");
			unsigned long left = bits(b, at_flags, N(at_flags), v & ~0x6000u, &sep);
			if (left)
				hj_printf(b, "|%#lx", left);
		} else
			FLAGS(b, at_flags, v, "AT_???");
		return TXT;
	case K_AMODE:
		FLAGS(b, access_modes, v, "?_OK");
		return TXT;
	case K_WHENCE:
		SYM(b, whences, v, "SEEK_???");
		return TXT;
	case K_FCNTL:
		SYM(b, fcntl_cmds, v, "F_???");
		return TXT;
	case K_FADVICE:
		SYM(b, fadvices, v, "POSIX_FADV_???");
		return TXT;
	case K_XATTRFLAGS:
		FLAGS(b, xattr_flags, v, "XATTR_???");
		return TXT;
	case K_STAT:
		if (!x->p || !x->done || !hj_peek(&u.st, x->p, sizeof u.st))
			return ADDR;
		stat_struct(b, &u.st);
		return TXT;
	case K_STATFS:
		if (!x->p || !x->done || !hj_peek(&u.sf, x->p, sizeof u.sf))
			return ADDR;
		statfs_struct(b, &u.sf);
		return TXT;
	case K_DIRENTS:
		return dirents(b, x);
	case K_TIMES:
		if (!x->p || !hj_peek(&u.ts, x->p, sizeof u.ts))
			return ADDR;
		utime_times(b, u.ts);
		return TXT;
	case K_FDPAIR:
		if (!x->p || !x->done || !hj_peek(&u.fds, x->p, sizeof u.fds))
			return ADDR;
		hj_printf(b, "[%d, %d]", u.fds[0], u.fds[1]);
		return RAW;
	case K_POLLFD:
		if (!x->p)
			return ADDR;
		pollfds(b, x->p, (unsigned long)arg(x->c, x->i + 1), false);
		return TXT;
	default:	/* K_OFFP */
		if (!x->p || !hj_peek(&u.off, x->p, sizeof u.off))
			return ADDR;
		hj_printf(b, "[%ld]", (long)u.off);
		return RAW;
	}
}

/* ---- sockets ---- */

/* socket's protocol, a socket option's name: by the call's other arguments */
static int socket_int(struct hj_buf *b, const struct arg_ctx *x)
{
	const struct hj_call *c = x->c;
	if (x->id == HJ_setsockopt || x->id == HJ_getsockopt) {
		sockopt_name(b, (int)c->a[1], x->v);
		return TXT;
	}
	if (c->a[0] == AF_INET || c->a[0] == AF_INET6)
		SYM(b, ipprotos, (unsigned long)x->v, "IPPROTO_???");
	else if (c->a[0] == AF_NETLINK)
		SYM(b, netlink_protos, (unsigned long)x->v, "NETLINK_???");
	else
		hj_printf(b, "%d", (int)x->v);
	return TXT;
}

static int socket_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	const unsigned v = (unsigned)x->v;
	union {
		socklen_t len;
		struct msghdr msg;
	} u;
	switch (x->ai->kind) {
	case K_AF:
		family(b, v);
		return TXT;
	case K_SOCKTYPE: {
		const char *t = name_of(sock_types, N(sock_types), v & 0xf);
		if (!t) {
			hj_printf(b, "%#x /* SOCK_??? */", v);
			return TXT;
		}
		bool sep = true;
		hj_puts(b, t);
		unsigned long left = bits(b, sock_flags, N(sock_flags), v & ~0xfu, &sep);
		if (left)
			hj_printf(b, "|%#lx", left);
		return TXT;
	}
	case K_SOCKLEVEL:
		SYM(b, sock_levels, v, "SOL_??");
		return TXT;
	case K_SHUT:
		SYM(b, shut_hows, v, "SHUT_???");
		return TXT;
	case K_MSGFLAGS:
		FLAGS(b, msg_flags, v, "MSG_???");
		return TXT;
	case K_SOCKADDR:
		if (!x->p)
			return ADDR;
		sockaddr_text(b, x->p, (unsigned)arg(x->c, x->i + 1));
		return TXT;
	case K_SOCKADDR_OUT: {
		const socklen_t *lp = (const socklen_t *)arg(x->c, x->i + 1);
		if (!x->p || !x->done || !lp || !hj_peek(&u.len, lp, sizeof u.len) || !u.len)
			return ADDR;
		sockaddr_text(b, x->p, u.len < sizeof(struct sockaddr_storage) ? u.len : sizeof(struct sockaddr_storage));
		return TXT;
	}
	default:	/* K_MSGHDR_IN, K_MSGHDR_OUT */
		if (!x->p)
			return ADDR;
		if (x->ai->kind == K_MSGHDR_OUT && !x->done) {
			if (!COPY_OR_ADDR(b, u.msg, x->p, x->json))
				return RAW;
			hj_printf(b, "{msg_namelen=%u}", (unsigned)u.msg.msg_namelen);
		} else
			msghdr_text(b, x->p, x->ai->kind == K_MSGHDR_OUT ? x->c->ret : -1);
		return TXT;
	}
}

/* ---- clocks and timers ---- */

static int time_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	const enum hj_kind k = x->ai->kind;
	const void *p = x->p;
	union {
		struct timespec ts;
		struct timeval tv;
		struct itimerspec its;
		struct timeb tb;
		timer_t timer;
	} u;
	switch (k) {
	case K_CLOCK:
		SYM(b, clocks, (unsigned)x->v, "CLOCK_???");
		return TXT;
	case K_TIMESPEC: case K_TIMESPEC_OUT:
		if (!p || (k == K_TIMESPEC_OUT && !x->done) || !hj_peek(&u.ts, p, sizeof u.ts))
			return ADDR;
		timespec_text(b, &u.ts);
		return TXT;
	case K_TIMEVAL: case K_TIMEVAL_OUT:
		if (!p || (k == K_TIMEVAL_OUT && !x->done) || !hj_peek(&u.tv, p, sizeof u.tv))
			return ADDR;
		hj_printf(b, "{tv_sec=%ld, tv_usec=%ld}", (long)u.tv.tv_sec, (long)u.tv.tv_usec);
		return TXT;
	case K_ITIMERSPEC: case K_ITIMERSPEC_OUT:
		if (!p || (k == K_ITIMERSPEC_OUT && !x->done) || !hj_peek(&u.its, p, sizeof u.its))
			return ADDR;
		itimerspec_text(b, &u.its);
		return TXT;
	case K_TIMEB_OUT:
		if (!p || !x->done || !hj_peek(&u.tb, p, sizeof u.tb))
			return ADDR;
		hj_printf(b, "{time=%ld, millitm=%u}", (long)u.tb.time, (unsigned)u.tb.millitm);
		return TXT;
	case K_TIMERP:
		if (hj_sud_on) {	/* the system call's: the kernel writes an int id */
			int id;
			if (!p || !x->done || !hj_peek(&id, p, sizeof id))
				return ADDR;
			hj_printf(b, "[%d]", id);
			return RAW;
		}
		if (!p || !x->done || !hj_peek(&u.timer, p, sizeof u.timer))
			return ADDR;
		hj_printf(b, "[%ld]", (long)u.timer);
		return RAW;
	default:	/* K_COND */
		return ADDR;
	}
}

/* ---- signals ---- */

static const struct xlat sig_hows[] = { X(SIG_BLOCK), X(SIG_UNBLOCK), X(SIG_SETMASK) };
/* in strace's order */
static const struct xlat sa_flags[] = {
	{ 0x04000000, "SA_RESTORER" }, X(SA_ONSTACK), X(SA_RESTART), X(SA_NODEFER),
	X(SA_RESETHAND), X(SA_SIGINFO), X(SA_NOCLDSTOP), X(SA_NOCLDWAIT),
	{ 0x400, "SA_UNSUPPORTED" }, { 0x800, "SA_EXPOSE_TAGBITS" },
};
static const struct xlat ss_flags[] = { X(SS_ONSTACK), X(SS_DISABLE), { 1u << 31, "SS_AUTODISARM" } };

/* The kernel's struct sigaction on x86_64 (not glibc's: its mask is
 * 128 bytes and comes second). */
struct kernel_sigaction {
	unsigned long handler, flags, restorer;
	uint64_t mask;
};

/* A signal set as strace shows it: [INT TERM], or ~[...] when more than
 * half the signals are in it. */
static void sigset_text(struct hj_buf *b, uint64_t set)
{
	bool inverted = __builtin_popcountll(set) > 32;
	if (inverted) {
		set = ~set;
		hj_puts(b, "~");
	}
	hj_puts(b, "[");
	bool sep = false;
	for (int s = 1; s <= 64; s++) {
		if (!(set >> (s - 1) & 1))
			continue;
		if (sep)
			hj_puts(b, " ");
		sep = true;
		if (s < (int)N(signals))
			hj_puts(b, signals[s]);
		else if (s == 32)
			hj_puts(b, "RTMIN");
		else
			hj_printf(b, "RT_%d", s - 32);
	}
	hj_puts(b, "]");
}

static void sigaction_struct(struct hj_buf *b, const struct kernel_sigaction *sa)
{
	hj_puts(b, "{sa_handler=");
	if (sa->handler == (unsigned long)SIG_DFL)
		hj_puts(b, "SIG_DFL");
	else if (sa->handler == (unsigned long)SIG_IGN)
		hj_puts(b, "SIG_IGN");
	else
		hj_printf(b, "%#lx", sa->handler);
	hj_puts(b, ", sa_mask=");
	sigset_text(b, sa->mask);
	hj_puts(b, ", sa_flags=");
	FLAGS(b, sa_flags, sa->flags, "SA_???");
	if (sa->flags & 0x04000000)
		hj_printf(b, ", sa_restorer=%#lx", sa->restorer);
	hj_puts(b, "}");
}

static const struct xlat sigev_notifies[] = {
	X(SIGEV_SIGNAL), X(SIGEV_NONE), X(SIGEV_THREAD), { 4, "SIGEV_THREAD_ID" },
};

static void sigevent_struct(struct hj_buf *b, const struct sigevent *ev)
{
	hj_puts(b, "{");
	if (ev->sigev_value.sival_ptr)
		hj_printf(b, "sigev_value={sival_int=%d, sival_ptr=%p}, ", ev->sigev_value.sival_int, ev->sigev_value.sival_ptr);
	hj_puts(b, "sigev_signo=");	/* strace shows it even for SIGEV_NONE (0) */
	if (ev->sigev_signo)
		signame(b, ev->sigev_signo);
	else
		hj_puts(b, "0");
	hj_puts(b, ", ");
	hj_puts(b, "sigev_notify=");
	SYM(b, sigev_notifies, (unsigned)ev->sigev_notify, "SIGEV_???");
	if (ev->sigev_notify == 4)
		hj_printf(b, ", sigev_notify_thread_id=%d", ev->_sigev_un._tid);
	else if (ev->sigev_notify == SIGEV_THREAD)
		hj_printf(b, ", sigev_notify_function=%p, sigev_notify_attributes=%p",
			  (void *)ev->_sigev_un._sigev_thread._function, (void *)ev->_sigev_un._sigev_thread._attribute);
	hj_puts(b, "}");
}

static int signal_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	const enum hj_kind k = x->ai->kind;
	const bool out = k == K_SIGSET_OUT || k == K_SIGACTION_OUT || k == K_STACK_OUT;
	union {
		uint64_t set;
		struct kernel_sigaction sa;
		stack_t st;
		struct sigevent ev;
		struct { const void *ss; size_t len; } mask6;
	} u;
	if (k == K_SIGNAL) {
		signame(b, (int)x->v);
		return TXT;
	}
	if (k == K_SIGHOW) {
		SYM(b, sig_hows, (unsigned)x->v, "SIG_???");
		return TXT;
	}
	if (!x->p || (out && !x->done))
		return ADDR;
	switch (k) {
	case K_SIGSET: case K_SIGSET_OUT:
		if (!hj_peek(&u.set, x->p, sizeof u.set))
			return ADDR;
		sigset_text(b, u.set);
		return TXT;
	case K_SIGACTION: case K_SIGACTION_OUT:
		if (!hj_peek(&u.sa, x->p, sizeof u.sa))
			return ADDR;
		sigaction_struct(b, &u.sa);
		return TXT;
	case K_SIGEVENT:
		if (!hj_peek(&u.ev, x->p, sizeof u.ev))
			return ADDR;
		sigevent_struct(b, &u.ev);
		return TXT;
	case K_SIGMASK6:
		if (!hj_peek(&u.mask6, x->p, sizeof u.mask6))
			return ADDR;
		hj_puts(b, "{sigmask=");
		if (!u.mask6.ss)
			hj_puts(b, "NULL");
		else if (hj_peek(&u.set, u.mask6.ss, sizeof u.set))
			sigset_text(b, u.set);
		else
			hj_printf(b, "%p", u.mask6.ss);
		hj_printf(b, ", sigsetsize=%zu}", u.mask6.len);
		return TXT;
	default:	/* K_STACK, K_STACK_OUT */
		if (!hj_peek(&u.st, x->p, sizeof u.st))
			return ADDR;
		hj_puts(b, "{ss_sp=");
		ptr(b, (long)u.st.ss_sp, false);
		hj_puts(b, ", ss_flags=");
		FLAGS(b, ss_flags, (unsigned)u.st.ss_flags, "SS_???");
		hj_printf(b, ", ss_size=%zu}", u.st.ss_size);
		return TXT;
	}
}

/* ---- memory ---- */

static const struct xlat madvices[] = {
	X(MADV_NORMAL), X(MADV_RANDOM), X(MADV_SEQUENTIAL), X(MADV_WILLNEED), X(MADV_DONTNEED),
	{ 8, "MADV_FREE" }, X(MADV_REMOVE), X(MADV_DONTFORK), X(MADV_DOFORK),
	X(MADV_MERGEABLE), X(MADV_UNMERGEABLE), X(MADV_HUGEPAGE), X(MADV_NOHUGEPAGE),
	X(MADV_DONTDUMP), X(MADV_DODUMP), { 18, "MADV_WIPEONFORK" }, { 19, "MADV_KEEPONFORK" },
	{ 20, "MADV_COLD" }, { 21, "MADV_PAGEOUT" }, { 22, "MADV_POPULATE_READ" },
	{ 23, "MADV_POPULATE_WRITE" }, { 24, "MADV_DONTNEED_LOCKED" }, { 25, "MADV_COLLAPSE" },
	X(MADV_HWPOISON), { 101, "MADV_SOFT_OFFLINE" },
};
static const struct xlat mremap_flags[] = {
	{ 1, "MREMAP_MAYMOVE" }, { 2, "MREMAP_FIXED" }, { 4, "MREMAP_DONTUNMAP" },
};

static int memory_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	unsigned long u = (unsigned)x->v;
	switch (x->ai->kind) {
	case K_PROT:
		FLAGS(b, prots, u, "PROT_???");
		return TXT;
	case K_MADVICE:
		SYM(b, madvices, u, "MADV_???");
		return TXT;
	case K_MREMAP:
		FLAGS(b, mremap_flags, u, "MREMAP_???");
		return TXT;
	default: {	/* K_MAPFLAGS: the mapping type, the flags, then the huge page size */
		unsigned long huge = u >> MAP_HUGE_SHIFT & MAP_HUGE_MASK;
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
	}
}

/* ---- processes ---- */

static const struct xlat clone_flags[] = {
	{ 0x100, "CLONE_VM" }, { 0x200, "CLONE_FS" }, { 0x400, "CLONE_FILES" },
	{ 0x800, "CLONE_SIGHAND" }, { 0x1000, "CLONE_PIDFD" }, { 0x2000, "CLONE_PTRACE" },
	{ 0x4000, "CLONE_VFORK" }, { 0x8000, "CLONE_PARENT" }, { 0x10000, "CLONE_THREAD" },
	{ 0x20000, "CLONE_NEWNS" }, { 0x40000, "CLONE_SYSVSEM" }, { 0x80000, "CLONE_SETTLS" },
	{ 0x100000, "CLONE_PARENT_SETTID" }, { 0x200000, "CLONE_CHILD_CLEARTID" },
	{ 0x400000, "CLONE_DETACHED" }, { 0x800000, "CLONE_UNTRACED" },
	{ 0x1000000, "CLONE_CHILD_SETTID" }, { 0x2000000, "CLONE_NEWCGROUP" },
	{ 0x4000000, "CLONE_NEWUTS" }, { 0x8000000, "CLONE_NEWIPC" }, { 0x10000000, "CLONE_NEWUSER" },
	{ 0x20000000, "CLONE_NEWPID" }, { 0x40000000, "CLONE_NEWNET" }, { 0x80000000, "CLONE_IO" },
	{ 0x200000000ul, "CLONE_CLEAR_SIGHAND" }, { 0x400000000ul, "CLONE_INTO_CGROUP" },
	{ 0x80ul, "CLONE_NEWTIME" },
};
#define CLONE_TIDS_CHILD (0x1000000ul | 0x200000ul)	/* CHILD_SETTID, CHILD_CLEARTID */
/* strace's names and order (WUNTRACED is WSTOPPED) */
static const struct xlat wait_opts[] = {
	X(WNOHANG), X(WSTOPPED), X(WEXITED), X(WCONTINUED), X(WNOWAIT),
	{ 0x20000000, "__WNOTHREAD" }, { 0x40000000, "__WALL" }, { 0x80000000, "__WCLONE" },
};
static const struct xlat arch_codes[] = {
	{ 0x1001, "ARCH_SET_GS" }, { 0x1002, "ARCH_SET_FS" }, { 0x1003, "ARCH_GET_FS" },
	{ 0x1004, "ARCH_GET_GS" }, { 0x1011, "ARCH_GET_CPUID" }, { 0x1012, "ARCH_SET_CPUID" },
	{ 0x1021, "ARCH_GET_XCOMP_SUPP" }, { 0x1022, "ARCH_GET_XCOMP_PERM" },
	{ 0x1023, "ARCH_REQ_XCOMP_PERM" }, { 0x1024, "ARCH_GET_XCOMP_GUEST_PERM" },
	{ 0x1025, "ARCH_REQ_XCOMP_GUEST_PERM" }, { 0x2001, "ARCH_MAP_VDSO_X32" },
	{ 0x2002, "ARCH_MAP_VDSO_32" }, { 0x2003, "ARCH_MAP_VDSO_64" },
};
static const struct xlat rlimits[] = {
	X(RLIMIT_CPU), X(RLIMIT_FSIZE), X(RLIMIT_DATA), X(RLIMIT_STACK), X(RLIMIT_CORE),
	X(RLIMIT_RSS), X(RLIMIT_NPROC), X(RLIMIT_NOFILE), X(RLIMIT_MEMLOCK), X(RLIMIT_AS),
	X(RLIMIT_LOCKS), X(RLIMIT_SIGPENDING), X(RLIMIT_MSGQUEUE), X(RLIMIT_NICE),
	X(RLIMIT_RTPRIO), X(RLIMIT_RTTIME),
};
static const struct xlat grnd_flags[] = { { 1, "GRND_NONBLOCK" }, { 2, "GRND_RANDOM" }, { 4, "GRND_INSECURE" } };
static const char *const futex_ops[] = {
	"FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE",
	"FUTEX_WAKE_OP", "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI",
	"FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET", "FUTEX_WAIT_REQUEUE_PI",
	"FUTEX_CMP_REQUEUE_PI", "FUTEX_LOCK_PI2",
};
enum { F_WAIT, F_WAKE, F_FD, F_REQUEUE, F_CMP_REQUEUE, F_WAKE_OP, F_LOCK_PI, F_UNLOCK_PI,
       F_TRYLOCK_PI, F_WAIT_BITSET, F_WAKE_BITSET, F_WAIT_REQUEUE_PI, F_CMP_REQUEUE_PI, F_LOCK_PI2 };

/* rlim values: RLIM64_INFINITY, or "8192*1024" for a multiple of 1024 */
static void rlim_value(struct hj_buf *b, unsigned long v, bool json)
{
	if (json)
		hj_printf(b, "%lu", v);
	else if (v == ~0ul)
		hj_puts(b, "RLIM64_INFINITY");
	else if (v > 1024 && v % 1024 == 0)
		hj_printf(b, "%lu*1024", v / 1024);
	else
		hj_printf(b, "%lu", v);
}

static void wait_status(struct hj_buf *b, int s)
{
	hj_puts(b, "[{");
	if (WIFEXITED(s)) {
		hj_printf(b, "WIFEXITED(s) && WEXITSTATUS(s) == %d", WEXITSTATUS(s));
	} else if (WIFSIGNALED(s)) {
		hj_puts(b, "WIFSIGNALED(s) && WTERMSIG(s) == ");
		signame(b, WTERMSIG(s));
		if (WCOREDUMP(s))
			hj_puts(b, " && WCOREDUMP(s)");
	} else if (WIFSTOPPED(s)) {
		hj_puts(b, "WIFSTOPPED(s) && WSTOPSIG(s) == ");
		signame(b, WSTOPSIG(s));
		if (s >> 16)
			hj_printf(b, " && s >> 16 == %d", s >> 16);
	} else if (WIFCONTINUED(s)) {
		hj_puts(b, "WIFCONTINUED(s)");
	} else {
		hj_printf(b, "%#x", (unsigned)s);
	}
	hj_puts(b, "}]");
}

/* clone's flags carry the exit signal in their low byte */
static void clone_flags_text(struct hj_buf *b, unsigned long f)
{
	bool sep = false;
	unsigned long sig = f & 0xff;
	f = bits(b, clone_flags, N(clone_flags), f & ~0xfful, &sep);
	if (sig) {
		if (sep)
			hj_puts(b, "|");
		signame(b, (long)sig);
		sep = true;
	}
	if (f)
		hj_printf(b, sep ? "|%#lx" : "%#lx", f);
	else if (!sep)
		hj_puts(b, "0");
}

/* x86_64's clone(flags, stack, parent_tid, child_tid, tls), in strace's
 * form: child_stack= and flags= first, then the tids and tls the flags
 * use (JSON keeps every argument, by its own name) */
static int clone_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	const unsigned long f = (unsigned long)x->c->a[0];
	int tid;
	if (x->json) {
		if (x->ai->kind == K_CLONEFLAGS)
			clone_flags_text(b, (unsigned long)x->v);
		else
			return ADDR;
		return TXT;
	}
	switch (x->i) {
	case 0:
		if (x->id != HJ_clone) {	/* unshare */
			clone_flags_text(b, (unsigned long)x->v);
			return TXT;
		}
		hj_puts(b, "child_stack=");
		ptr(b, x->c->a[1], false);
		hj_puts(b, ", flags=");
		clone_flags_text(b, f);
		return TXT;
	case 2:
		if (!(f & 0x100000))	/* CLONE_PARENT_SETTID */
			return RAW;
		hj_puts(b, "parent_tid=");
		if (x->done && x->p && hj_peek(&tid, x->p, sizeof tid))
			hj_printf(b, "[%d]", tid);
		else
			ptr(b, x->v, false);
		return TXT;
	case 3:
		if (!(f & CLONE_TIDS_CHILD))
			return RAW;
		hj_puts(b, "child_tidptr=");
		ptr(b, x->v, false);
		return TXT;
	case 4:
		if (!(f & 0x80000))	/* CLONE_SETTLS */
			return RAW;
		hj_puts(b, "tls=");
		ptr(b, x->v, false);
		return TXT;
	default:	/* the stack: shown with the flags */
		return RAW;
	}
}

static int clone3_args(struct hj_buf *b, const struct arg_ctx *x)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
			 set_tid, set_tid_size, cgroup;
	} ca = { 0 };
	size_t size = (size_t)arg(x->c, x->i + 1);
	if (!x->p || size < 64 || !hj_peek(&ca, x->p, size < sizeof ca ? size : sizeof ca))
		return ADDR;
	hj_puts(b, "{flags=");
	clone_flags_text(b, (unsigned long)ca.flags);
	if (ca.flags & 0x1000)
		hj_printf(b, ", pidfd=%#lx", (unsigned long)ca.pidfd);
	if (ca.flags & CLONE_TIDS_CHILD)
		hj_printf(b, ", child_tid=%#lx", (unsigned long)ca.child_tid);
	if (ca.flags & 0x100000)
		hj_printf(b, ", parent_tid=%#lx", (unsigned long)ca.parent_tid);
	hj_puts(b, ", exit_signal=");
	signame(b, (long)ca.exit_signal);
	hj_puts(b, ", stack=");
	ptr(b, (long)ca.stack, false);
	hj_printf(b, ", stack_size=%#lx", (unsigned long)ca.stack_size);
	if (ca.flags & 0x80000)
		hj_printf(b, ", tls=%#lx", (unsigned long)ca.tls);
	if (ca.set_tid_size)
		hj_printf(b, ", set_tid=%#lx, set_tid_size=%lu", (unsigned long)ca.set_tid, (unsigned long)ca.set_tid_size);
	if (ca.flags & 0x400000000ul)
		hj_printf(b, ", cgroup=%lu", (unsigned long)ca.cgroup);
	hj_puts(b, "}");
	/* what the call wrote back, as strace adds it */
	int tid;
	if (x->done && (ca.flags & 0x100000) && ca.parent_tid && hj_peek(&tid, (const void *)ca.parent_tid, sizeof tid))
		hj_printf(b, " => {parent_tid=[%d]}", tid);
	return TXT;
}

/* futex(uaddr, op, val, timeout or val2, uaddr2, val3): which of the
 * last four the operation uses, and how strace shows them */
static int futex_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	const int op = (int)x->c->a[1] & 127;
	const unsigned v = (unsigned)x->v;
	struct timespec ts;
	static const char *const wake_ops[] = { "FUTEX_OP_SET", "FUTEX_OP_ADD", "FUTEX_OP_OR", "FUTEX_OP_ANDN", "FUTEX_OP_XOR" };
	static const char *const wake_cmps[] = { "FUTEX_OP_CMP_EQ", "FUTEX_OP_CMP_NE", "FUTEX_OP_CMP_LT",
						 "FUTEX_OP_CMP_LE", "FUTEX_OP_CMP_GT", "FUTEX_OP_CMP_GE" };
	const bool unknown = op >= (int)N(futex_ops);
	const bool timeout = op == F_WAIT || op == F_WAIT_BITSET || op == F_LOCK_PI || op == F_LOCK_PI2 || op == F_WAIT_REQUEUE_PI;
	const bool val2 = op == F_REQUEUE || op == F_CMP_REQUEUE || op == F_WAKE_OP || op == F_CMP_REQUEUE_PI;
	const bool bitset = op == F_WAIT_BITSET || op == F_WAKE_BITSET;
	switch (x->i) {
	case 2:		/* val */
		if (op == F_UNLOCK_PI || op == F_TRYLOCK_PI || op == F_LOCK_PI || op == F_LOCK_PI2)
			return RAW;
		hj_printf(b, "%u", v);
		return RAW;
	case 3:		/* timeout, or val2 */
		if (timeout) {
			if (!x->p || !hj_peek(&ts, x->p, sizeof ts))
				return ADDR;
			timespec_text(b, &ts);
			return TXT;
		}
		if (val2)
			hj_printf(b, "%u", v);
		return unknown ? ADDR : RAW;
	case 4:		/* uaddr2 */
		return val2 || op == F_WAIT_REQUEUE_PI || unknown ? ADDR : RAW;
	default:	/* val3 */
		if (bitset) {
			if (v == 0xffffffffu)
				hj_puts(b, "FUTEX_BITSET_MATCH_ANY");
			else
				hj_printf(b, "%#x", v);
			return TXT;
		}
		if (op == F_WAKE_OP) {
			/* strace 6's form: each field shifted into place */
			unsigned wop = v >> 28 & 7, cmp = v >> 24 & 15;
			if (v >> 31)
				hj_puts(b, "FUTEX_OP_OPARG_SHIFT<<28|");
			if (wop < N(wake_ops))
				hj_printf(b, "%s<<28|", wake_ops[wop]);
			else
				hj_printf(b, "%u<<28 /* FUTEX_OP_??? */|", wop);
			hj_printf(b, v >> 12 & 0xfff ? "%#x<<12|" : "%u<<12|", v >> 12 & 0xfff);
			if (cmp < N(wake_cmps))
				hj_printf(b, "%s<<24|", wake_cmps[cmp]);
			else
				hj_printf(b, "%u<<24 /* FUTEX_OP_CMP_??? */|", cmp);
			hj_printf(b, "%#x", v & 0xfff);
			return TXT;
		}
		if (op == F_CMP_REQUEUE || op == F_CMP_REQUEUE_PI)
			hj_printf(b, "%u", v);
		else if (unknown)
			hj_printf(b, x->json ? "%u" : "%#x", v);
		return RAW;
	}
}

static const struct xlat prctl_opts[] = {
	{ 1, "PR_SET_PDEATHSIG" }, { 2, "PR_GET_PDEATHSIG" }, { 3, "PR_GET_DUMPABLE" },
	{ 4, "PR_SET_DUMPABLE" }, { 7, "PR_GET_KEEPCAPS" }, { 8, "PR_SET_KEEPCAPS" },
	{ 15, "PR_SET_NAME" }, { 16, "PR_GET_NAME" }, { 21, "PR_GET_SECCOMP" }, { 22, "PR_SET_SECCOMP" },
	{ 23, "PR_CAPBSET_READ" }, { 24, "PR_CAPBSET_DROP" }, { 29, "PR_SET_TIMERSLACK" },
	{ 30, "PR_GET_TIMERSLACK" }, { 35, "PR_SET_MM" }, { 36, "PR_SET_CHILD_SUBREAPER" },
	{ 37, "PR_GET_CHILD_SUBREAPER" }, { 38, "PR_SET_NO_NEW_PRIVS" }, { 39, "PR_GET_NO_NEW_PRIVS" },
	{ 41, "PR_SET_THP_DISABLE" }, { 42, "PR_GET_THP_DISABLE" }, { 47, "PR_CAP_AMBIENT" },
	{ 0x53564d41, "PR_SET_VMA" }, { 0x59616d61, "PR_SET_PTRACER" },
};

/* prctl(option, arg2...): the arguments an option takes, as strace
 * shows them; an option it does not know shows all four in hex */
static int prctl_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	const long op = x->c->a[0];
	int sig;
	switch (op) {
	case 1:		/* PR_SET_PDEATHSIG */
		if (x->i != 1)
			return RAW;
		signame(b, (int)x->v);
		return TXT;
	case 2:		/* PR_GET_PDEATHSIG */
		if (x->i != 1)
			return RAW;
		if (!x->p || !x->done || !hj_peek(&sig, x->p, sizeof sig))
			return ADDR;
		hj_puts(b, "[");
		signame(b, sig);
		hj_puts(b, "]");
		return TXT;
	case 15: case 16:	/* PR_SET_NAME, PR_GET_NAME */
		if (x->i != 1)
			return RAW;
		if (!x->p || (op == 16 && !x->done))
			return ADDR;
		str(b, x->p, 15, x->json, false);
		return RAW;
	case 3: case 7: case 21: case 30: case 39: case 42:	/* the getters of a value they return */
		return RAW;
	case 4: case 8: case 23: case 24: case 29: case 36: case 41:	/* setters of one value */
		if (x->i != 1)
			return RAW;
		hj_printf(b, "%lu", (unsigned long)x->v);
		return RAW;
	case 38:	/* PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0 */
		hj_printf(b, "%lu", (unsigned long)x->v);
		return RAW;
	default:
		hj_printf(b, x->json ? "%lu" : "%#lx", (unsigned long)x->v);
		return RAW;
	}
}

static void cpuset_text(struct hj_buf *b, const unsigned char *m, size_t n)
{
	bool sep = false;
	hj_puts(b, "[");
	for (size_t k = 0; k < n * 8; k++)
		if (m[k / 8] >> (k % 8) & 1) {
			hj_printf(b, "%s%zu", sep ? " " : "", k);
			sep = true;
		}
	hj_puts(b, "]");
}

static int process_arg(struct hj_buf *b, const struct arg_ctx *x)
{
	const enum hj_kind k = x->ai->kind;
	const void *p = x->p;
	union {
		pid_t pid;
		int status;
		struct rlimit rl;
		struct rusage ru;
		struct utsname un;
		struct sysinfo si;
		unsigned char cpus[128];
	} u;
	switch (k) {
	case K_PIDP:
		if (!p || !x->done || !hj_peek(&u.pid, p, sizeof u.pid))
			return ADDR;
		hj_printf(b, "[%d]", u.pid);
		return RAW;
	case K_WAITOPT:
		FLAGS(b, wait_opts, (unsigned)x->v, "W???");
		return TXT;
	case K_RUSAGE_OUT:
		if (!p || !x->done || !hj_peek(&u.ru, p, sizeof u.ru))
			return ADDR;
		hj_printf(b, "{ru_utime={tv_sec=%ld, tv_usec=%ld}, ru_stime={tv_sec=%ld, tv_usec=%ld}, ...}",
			  (long)u.ru.ru_utime.tv_sec, (long)u.ru.ru_utime.tv_usec,
			  (long)u.ru.ru_stime.tv_sec, (long)u.ru.ru_stime.tv_usec);
		return TXT;
	case K_WSTATUS:
		/* filled only when a child was reaped */
		if (!p || !x->done || x->c->ret <= 0 || !hj_peek(&u.status, p, sizeof u.status))
			return ADDR;
		wait_status(b, u.status);
		return TXT;
	case K_CLONEFLAGS: case K_CLONEARG:
		return clone_arg(b, x);
	case K_CLONEARGS:
		return clone3_args(b, x);
	case K_FUTEXOP: {
		unsigned op = (unsigned)x->v;
		if ((op & 127) < N(futex_ops)) {
			hj_puts(b, futex_ops[op & 127]);
			if (op & 128)
				hj_puts(b, "_PRIVATE");
			if (op & 256)
				hj_puts(b, "|FUTEX_CLOCK_REALTIME");
			if (op & ~511u)
				hj_printf(b, "|%#x", op & ~511u);
		} else {
			hj_printf(b, "%#x /* FUTEX_??? */", op);
		}
		return TXT;
	}
	case K_FUTEXARG:
		return futex_arg(b, x);
	case K_ARCHPRCTL:
		SYM(b, arch_codes, (unsigned)x->v, "ARCH_???");
		return TXT;
	case K_PRCTL:
		SYM(b, prctl_opts, (unsigned)x->v, "PR_???");
		return TXT;
	case K_PRCTLARG:
		return prctl_arg(b, x);
	case K_RLIMIT_RES:
		SYM(b, rlimits, (unsigned)x->v, "RLIMIT_???");
		return TXT;
	case K_RLIMIT: case K_RLIMIT_OUT:
		if (!p || (k == K_RLIMIT_OUT && !x->done) || !hj_peek(&u.rl, p, sizeof u.rl))
			return ADDR;
		hj_puts(b, "{rlim_cur=");
		rlim_value(b, u.rl.rlim_cur, false);
		hj_puts(b, ", rlim_max=");
		rlim_value(b, u.rl.rlim_max, false);
		hj_puts(b, "}");
		return TXT;
	case K_GRND:
		FLAGS(b, grnd_flags, (unsigned)x->v, "GRND_???");
		return TXT;
	case K_UTSNAME:
		if (!p || !x->done || !hj_peek(&u.un, p, sizeof u.un))
			return ADDR;
		hj_puts(b, "{sysname=");
		quote(b, u.un.sysname, sizeof u.un.sysname, sizeof u.un.sysname, Q_NUL, false);
		hj_puts(b, ", nodename=");
		quote(b, u.un.nodename, sizeof u.un.nodename, sizeof u.un.nodename, Q_NUL, false);
		hj_puts(b, ", ...}");
		return TXT;
	case K_SYSINFO:
		if (!p || !x->done || !hj_peek(&u.si, p, sizeof u.si))
			return ADDR;
		hj_printf(b, "{uptime=%ld, loads=[%lu, %lu, %lu], totalram=%lu, freeram=%lu, sharedram=%lu, "
			  "bufferram=%lu, totalswap=%lu, freeswap=%lu, procs=%u, totalhigh=%lu, freehigh=%lu, mem_unit=%u}",
			  u.si.uptime, u.si.loads[0], u.si.loads[1], u.si.loads[2], u.si.totalram, u.si.freeram,
			  u.si.sharedram, u.si.bufferram, u.si.totalswap, u.si.freeswap, (unsigned)u.si.procs,
			  u.si.totalhigh, u.si.freehigh, u.si.mem_unit);
		return TXT;
	default: {	/* K_CPUSET: getaffinity fills ret bytes; setaffinity reads its size */
		long n = x->id == HJ_sched_getaffinity ? (x->done ? x->c->ret : -1) : arg(x->c, 1);
		if (!p || n < 0)
			return ADDR;
		if (n > (long)sizeof u.cpus)
			n = sizeof u.cpus;
		if (!hj_peek(u.cpus, p, (size_t)n))
			return ADDR;
		cpuset_text(b, u.cpus, (size_t)n);
		return TXT;
	}
	}
}

/* The family that shows each kind. */
static int arg_text(struct hj_buf *b, struct hj_call *c, int i, bool json)
{
	const struct arg_ctx x = {
		.c = c, .ai = &hj_calls[c->id].args[i], .i = i, .id = c->id, .v = c->a[i],
		.p = (const void *)c->a[i], .done = c->after && !hj_is_failure(c), .json = json,
	};
	/* every read of the program's memory goes through peek.c: a pointer
	 * it cannot read is shown as its address, as strace does */
	int r = ADDR;
	switch (x.ai->kind) {
	case K_INT: case K_UINT: case K_HEX: case K_FD: case K_DIRFD:
		r = number_arg(b, &x);
		break;
	case K_PTR:
		r = pointer_arg(b, &x);
		break;
	case K_PATH: case K_STR: case K_STR_OUT: case K_BUF_IN: case K_BUF_OUT:
	case K_IOV_IN: case K_IOV_OUT: case K_ARGV: case K_ENVP:
		r = data_arg(b, &x);
		break;
	case K_OFLAGS: case K_MODE: case K_ATFLAGS: case K_AMODE: case K_WHENCE: case K_FCNTL:
	case K_FADVICE: case K_XATTRFLAGS: case K_STAT: case K_STATFS: case K_DIRENTS:
	case K_TIMES: case K_FDPAIR: case K_POLLFD: case K_OFFP:
		r = file_arg(b, &x);
		break;
	case K_AF: case K_SOCKTYPE: case K_SOCKLEVEL: case K_SHUT: case K_MSGFLAGS:
	case K_SOCKADDR: case K_SOCKADDR_OUT: case K_MSGHDR_IN: case K_MSGHDR_OUT:
		r = socket_arg(b, &x);
		break;
	case K_CLOCK: case K_TIMESPEC: case K_TIMESPEC_OUT: case K_TIMEVAL: case K_TIMEVAL_OUT:
	case K_ITIMERSPEC: case K_ITIMERSPEC_OUT: case K_TIMEB_OUT: case K_TIMERP: case K_COND:
		r = time_arg(b, &x);
		break;
	case K_SIGNAL: case K_SIGSET: case K_SIGSET_OUT: case K_SIGACTION: case K_SIGACTION_OUT:
	case K_SIGHOW: case K_STACK: case K_STACK_OUT: case K_SIGEVENT: case K_SIGMASK6:
		r = signal_arg(b, &x);
		break;
	case K_PROT: case K_MAPFLAGS: case K_MADVICE: case K_MREMAP:
		r = memory_arg(b, &x);
		break;
	case K_PIDP: case K_WAITOPT: case K_WSTATUS: case K_CLONEFLAGS: case K_CLONEARG:
	case K_CLONEARGS: case K_FUTEXOP: case K_FUTEXARG: case K_ARCHPRCTL: case K_RLIMIT_RES:
	case K_RLIMIT: case K_RLIMIT_OUT: case K_GRND: case K_UTSNAME: case K_SYSINFO: case K_CPUSET:
	case K_PRCTL: case K_PRCTLARG: case K_RUSAGE_OUT:
		r = process_arg(b, &x);
		break;
	}
	if (r != ADDR)
		return r;
	/* mremap's new address only with MREMAP_FIXED, as strace */
	if (c->id == HJ_mremap && i == 4 && !(c->a[3] & 2))
		return RAW;
	ptr(b, x.v, json);
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
	if (c->id == HJ_umask) {
		hj_printf(b, "%#03lo", (unsigned long)r);	/* the old mask */
		return;
	}
	if ((c->id == HJ_rt_sigtimedwait || c->id == HJ_sigtimedwait) && r > 0) {
		hj_printf(b, "%ld (", r);	/* the signal taken, named as strace does */
		signame(b, r);
		hj_puts(b, ")");
		return;
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
