/*
 * relay_config.h - the media relay's INI configuration (libinih).
 *
 * Owns: reading etc/media-relay.conf into a plain struct with defaults and
 * checking every value. Errors come back as "file:line: message" in the
 * caller's buffer; nothing here logs or exits.
 * Thread use: main thread, before anything starts.
 */
#ifndef RELAY_CONFIG_H
#define RELAY_CONFIG_H

#include <sys/socket.h>
#include "rlog.h"
#include "srtp_xform.h"

#define RELAY_MAX_ALLOW 16
#define RELAY_MAX_IFACES 16
#define RELAY_IFACE_NAME 32   /* with its NUL */
#define RELAY_MAX_NG_THREADS 16

/* One address of a named media interface ([relay] interface =
 * NAME/ADDR[!ADVERTISED], ...). A name may have one IPv4 and one IPv6
 * address (dual-stack); the unnamed form is named "default". */
struct relay_iface {
	char name[RELAY_IFACE_NAME];
	char addr[64];        /* media sockets bind here */
	char advertised[64];  /* what SDP says (c=, o=): addr unless given */
	int family;           /* AF_INET or AF_INET6, of both */
};

/* One network of [relay] allow. */
struct relay_net {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int bits;
};

struct relay_config {
	char ng_addr[64];     /* [relay] ng = ADDR:PORT (control, UDP) */
	int ng_port;
	/* [relay] interface: media sockets and c=; the first one's name is
	 * the default interface (requests without a direction). */
	struct relay_iface iface[RELAY_MAX_IFACES];
	int niface;
	int port_min, port_max; /* [relay] ports = MIN-MAX */
	int workers;          /* [relay] workers; 0 in the file = cores */
	int ng_threads;       /* [relay] ng_threads: ng request threads; 0 in the file = cores */
	int media_timeout;    /* [relay] media_timeout seconds; 0 = off */
	enum rlog_level log_level; /* [log] level */
	/* [relay] allow = CIDR, ...: who may send ng requests (default
	 * loopback only: the media of every call is steered from there). */
	struct relay_net allow[RELAY_MAX_ALLOW];
	int nallow;
	/* [relay] srtp_transforms = evp|stock (default evp): who does
	 * libsrtp's AES and HMAC; SRTP_TRANSFORMS in the environment wins. */
	enum xform_impl srtp_transforms;
	/* [metrics] listen = ADDR:PORT of GET /metrics; "" = off. */
	char metrics_listen[80];
};

void relay_config_defaults(struct relay_config *cfg);
/* 0, or -1 with "file:line: message" (or "file: message") in err. */
int relay_config_load(struct relay_config *cfg, const char *path, char *err, size_t errlen);
/* 1 when sa (an ng request's source) is inside [relay] allow. */
int relay_config_allows(const struct relay_config *cfg, const struct sockaddr *sa);
/* The index of interface name (NULL: the default one) with an address
 * of family (AF_UNSPEC: its first), or -1. */
int relay_config_iface(const struct relay_config *cfg, const char *name, int family);
/* 1 when name is an interface of cfg (of any family). */
int relay_config_has_iface(const struct relay_config *cfg, const char *name);
/* 1 when s may be an interface name: 1-31 of [A-Za-z0-9_.-]. */
int relay_config_iface_name_ok(const char *s, size_t len);
/* Parses "ADDR:PORT" or "[V6]:PORT" into addr/port; 0 or -1. */
int relay_config_hostport(const char *s, char *addr, size_t addrlen, int *port);

#endif
