/*
 * sdp_rewrite.h - reading and rewriting SDP for the relay (RFC 4566).
 *
 * Owns: everything that touches SDP text. It parses with Sofia's parser
 * and prints with Sofia's printer (never string surgery), and is the only
 * file that includes <sofia-sip/sdp.h>. Names use "rewrite_" because
 * "sdp_" is Sofia's. Must not allocate ports, create keys or know about
 * calls: the caller decides ports, protocol and a=crypto lines; this
 * module applies them: c= (session and media) to our interface, o=
 * address when asked, m= port and protocol, a=rtcp, a=crypto, ICE
 * attributes removed when asked. Everything else passes through.
 * Thread use: control thread; no state between calls.
 */
#ifndef SDP_REWRITE_H
#define SDP_REWRITE_H

#include <stddef.h>

#define REWRITE_MAX_MEDIA 8
#define REWRITE_MAX_CRYPTO 4
#define REWRITE_CRYPTO_LEN 160

/* What one m= line of an incoming SDP says. */
struct rewrite_media {
	char type[16];               /* audio, video, image ... */
	char proto[32];              /* as written: RTP/AVP, RTP/SAVP, RTP/SAVPF ... */
	int savp;                    /* protocol is SRTP (RTP/SAVP, RTP/SAVPF) */
	int port;                    /* 0 = rejected */
	char addr[64];               /* media c=, else session c=; "" when none */
	int rtcp_port;               /* a=rtcp port, else port + 1 */
	char rtcp_addr[64];          /* a=rtcp address, else addr */
	int rtcp_mux;                /* a=rtcp-mux (RFC 5761) */
	int ncrypto;
	char crypto[REWRITE_MAX_CRYPTO][REWRITE_CRYPTO_LEN]; /* a=crypto values, in order */
};

struct rewrite_info {
	int nmedia;                  /* m= lines beyond REWRITE_MAX_MEDIA are an error */
	struct rewrite_media media[REWRITE_MAX_MEDIA];
};

/* What to write into one m= line. */
struct rewrite_out {
	int port;                    /* our RTP port; ignored when the line has port 0 */
	int rtcp_port;               /* written as a=rtcp:PORT */
	const char *proto;           /* m= protocol; NULL keeps the incoming one */
	int ncrypto;                 /* a=crypto lines replacing the incoming ones */
	char crypto[2][REWRITE_CRYPTO_LEN];
};

struct rewrite_params {
	const char *addr;            /* our media address (c=) */
	int replace_origin;          /* o= address too (ng replace: origin) */
	int ice_remove;              /* ng ICE: remove */
	int nmedia;                  /* must equal the parsed count */
	struct rewrite_out media[REWRITE_MAX_MEDIA];
};

/* 1 for the protocols SRTP and RTCP apply to (RTP/AVP, RTP/SAVP,
 * RTP/AVPF, RTP/SAVPF, any case); udptl (T.38) and the rest keep their
 * protocol and get no keys and no a=rtcp. */
int rewrite_proto_rtp(const char *proto);
/* 0, or -1 with a reason in err. */
int rewrite_parse(const char *sdp, size_t len, struct rewrite_info *out, char *err, size_t errlen);
/* The rewritten SDP (malloc'd, NUL-terminated; caller frees), or NULL
 * with a reason in err. */
char *rewrite_apply(const char *sdp, size_t len, const struct rewrite_params *p,
		    char *err, size_t errlen);

#endif
