/*
 * config.h - the b2bua's INI configuration (etc/b2bua.conf).
 *
 * Owns: struct config, filled once at start by config_load(); read-only
 * afterwards, so any thread may read it. Unknown sections or keys and bad
 * values are errors reported as "file:line: message".
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

#define CONFIG_MAX_LISTEN 8
#define CONFIG_MAX_RELAYS 8
#define CONFIG_IFACE_NAME 32    /* an interface name with its NUL */

struct config_listen {
	char proto[4];          /* udp, tcp, tls */
	char host[64];          /* IPv4, or IPv6 without brackets */
	int port;
	/* Interface name ("/NAME": 1-31 of A-Z a-z 0-9 _ . -), "" unnamed.
	 * Trunks name one (trunks.interface) and the relay requests name
	 * it (ng direction), so both programs' names must agree. */
	char name[CONFIG_IFACE_NAME];
	/* "!ADDR": what Via, Contact and From name instead of host (NAT: the
	 * public address of this interface); "" = [sip] advertise, if any. */
	char advertise[64];
};

struct config {
	struct config_listen listen[CONFIG_MAX_LISTEN];
	int nlisten;
	char advertise[64];     /* public address for Via/Contact, "" = none */
	char user_agent[64];    /* our User-Agent/Server, "" = send none */
	char db_path[256];
	int db_mode;            /* [db] mode: 0600 (default) or 0640, for a new database */
	char relay[CONFIG_MAX_RELAYS][64];   /* "ADDR:PORT" */
	int nrelays;
	int relay_timeout_ms;   /* per request, retransmitted within it */
	int relay_ping_ms;      /* between pings to each relay */
	int relay_down_after;   /* unanswered requests in a row: the relay is down */
	char control_socket[256];
	char metrics_listen[80]; /* [metrics] listen: ADDR:PORT of /metrics, "" = off */
	int log_level;
	int sip_trace;          /* [log] sip_trace = on: every SIP message into the log */
	char hep_address[128];  /* [hep] address HOST:PORT, "" = no HEP export */
	unsigned hep_capture_id; /* [hep] capture_id: HEP's capture agent id */
	char hep_password[64];  /* [hep] password, "" = none */
	char node[64];
	int trunk_timeout_s;    /* no reply at all from a trunk: next route */
	int no_answer_s;        /* no answer at all: end the attempt (480) */
	int max_duration_s;     /* 0 = unlimited */
	int session_expires_s;  /* RFC 4028 per leg; 0 = no session timers */
	int min_se_s;           /* the smallest Session-Expires we take (>= 90) */
	int grace_s;            /* SIGTERM: time calls get to end */
	int media_timeout_poll_s; /* how often to ask the relay about silent calls, 0 = never */
	int rate_limit_pps;     /* requests outside a dialog per second per source, 0 = off */
	int ban_after;          /* refusals before a stranger is banned, 0 = never */
	int ban_time_s;         /* how long a ban lasts */
	int drop_strangers;     /* [sip] strangers = drop: the kernel drops what they send */
	int down_after;         /* [trunks] OPTIONS failed in a row that mark a trunk down */
	int up_after;           /* [trunks] OPTIONS answered in a row that bring it back up */
	int reg_expires_s;      /* [register] expires: what a trunk's REGISTER asks for */
	int reg_retry_min_s;    /* [register] retry_min: backoff after a failure, doubling ... */
	int reg_retry_max_s;    /* [register] retry_max: ... up to this */
	int reg_stop_wait_ms;   /* [register] stop_wait_ms: shutdown waits this long for un-REGISTERs */
	/* [tls]: PEM files for every tls: listen address (tls_conf.c checks
	 * them at start); verify = no turns off the verification of every
	 * trunk's certificate (trunks.tls_verify is then ignored). */
	char tls_cert[256];
	char tls_key[256];
	char tls_ca[256];       /* "" = the system's CA bundle */
	int tls_verify;
};

void config_defaults(struct config *c);
/* 0, or -1 with "file:line: message" in err. */
int config_load(struct config *c, const char *path, char *err, size_t errlen);
/* Parses "udp|tcp|tls:ADDR:PORT[/NAME]" (IPv6 as [ADDR]). 0 or -1. */
int config_parse_listen(struct config_listen *l, const char *s);
/* 1 when some listen address has transport proto ("udp", "tcp", "tls"). */
int config_listens_on(const struct config *c, const char *proto);
/* The default interface's name: the first listen address's ("" unnamed). */
const char *config_default_iface(const struct config *c);
/* 1 when some listen address is named name. */
int config_has_iface(const struct config *c, const char *name);

#endif
