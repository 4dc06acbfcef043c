/*
 * fuzz_ng.c - ng datagrams as the relay gets them on its control socket.
 *
 * Each input is up to 8 datagrams (FUZZ_SEP between them), handed in
 * order to a fresh ng server (ng_server_handle: cookie cache, bencode
 * decoder, command table, call model, SDP rewrite; one real worker runs
 * the streams), so offer -> answer -> query -> delete sequences are
 * reachable. Every datagram also goes through the bencode decoder alone.
 * Properties: a decoded value encodes and decodes again to the same
 * bytes; every reply the server writes is "COOKIE DICT" with a result.
 */
#include "fuzz.h"
#include "bencode.h"
#include "ng_server.h"
#include "relay_config.h"
#include "rlog.h"
#include "workers.h"

static struct relay_config cfg;
static struct workers *workers;

static void init(void)
{
	char err[128];

	if (workers)
		return;
	relay_config_defaults(&cfg);
	cfg.port_min = 44000;
	cfg.port_max = 44199;
	cfg.media_timeout = 10;
	workers = workers_new(1, err, sizeof(err));
	FUZZ_REQUIRE(workers != NULL);
#ifdef FUZZ_LIBFUZZER
	rlog_init(RLOG_ERROR, 0);
#endif
}

static void roundtrip(const uint8_t *d, size_t n)
{
	struct bencode_pool *p = bencode_pool_new();
	struct bencode *v;
	size_t used = 0, used2 = 0;
	char err[128], *buf = NULL, *buf2 = NULL;
	long len, len2;

	if (!p)
		return;
	v = bencode_decode(p, (const char *)d, n, &used, err, sizeof(err));
	if (v) {
		FUZZ_REQUIRE(used <= n);
		buf = malloc(2 * n + 64);
		buf2 = malloc(2 * n + 64);
		FUZZ_REQUIRE(buf && buf2);
		len = bencode_encode(v, buf, 2 * n + 64);
		FUZZ_REQUIRE(len > 0);
		v = bencode_decode(p, buf, (size_t)len, &used2, err, sizeof(err));
		FUZZ_REQUIRE(v != NULL && used2 == (size_t)len);
		len2 = bencode_encode(v, buf2, 2 * n + 64);
		FUZZ_REQUIRE(len2 == len && memcmp(buf, buf2, (size_t)len) == 0);
	}
	free(buf);
	free(buf2);
	bencode_pool_free(p);
}

int fuzz_ng(const uint8_t *data, size_t size)
{
	const uint8_t *part[8];
	size_t len[8], n = fuzz_split(data, size, part, len, 8);
	char err[128], *reply = malloc(65536);
	struct ng_server *ng;

	init();
	ng = ng_server_new(&cfg, workers, err, sizeof(err));
	FUZZ_REQUIRE(ng != NULL && reply != NULL);
	for (size_t i = 0; i < n; i++) {
		size_t rl = ng_server_handle(ng, (const char *)part[i], len[i], reply, 65536, 1000 * (int64_t)(i + 1));
		const char *sp = rl ? memchr(reply, ' ', rl) : NULL;

		if (rl) {
			FUZZ_REQUIRE(rl < 65536 && sp != NULL);
			FUZZ_REQUIRE(memmem(sp, rl - (size_t)(sp - reply), "6:result", 8) != NULL);
		}
		roundtrip(part[i], len[i]);
	}
	ng_server_free(ng);
	/* Streams go to the worker to be freed: wait, or the leak check
	 * after this input would see them in flight. */
	workers_sync(workers);
	free(reply);
	return 0;
}

#ifdef FUZZ_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_ng(data, size);
}
#endif
