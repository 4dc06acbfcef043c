/*
 * fuzz.h - the fuzz targets (libFuzzer) and what they share.
 *
 * Each target is one function, int fuzz_NAME(const uint8_t *, size_t),
 * that feeds its input to the code a peer reaches and aborts when a
 * property of ours breaks (FUZZ_REQUIRE). Built with -DFUZZ_LIBFUZZER it
 * is also its binary's LLVMFuzzerTestOneInput (`make fuzz`); built
 * without, the unit tests replay the seeds and every regression input
 * (test/fuzz/regress/NAME/) through the very same function.
 * Inputs that carry several messages separate them with FUZZ_SEP.
 */
#ifndef FUZZ_H
#define FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fuzz_sdp(const uint8_t *data, size_t size);
int fuzz_sdp_rewrite(const uint8_t *data, size_t size);
int fuzz_ng(const uint8_t *data, size_t size);
int fuzz_rules(const uint8_t *data, size_t size);
int fuzz_sip(const uint8_t *data, size_t size);
int fuzz_ng_reply(const uint8_t *data, size_t size);

#define FUZZ_SEP "\n--\n"

#define FUZZ_REQUIRE(cond)                                                                         \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: property broken: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Splits data at FUZZ_SEP into at most max parts; the count. */
static inline size_t fuzz_split(const uint8_t *data, size_t size, const uint8_t **part, size_t *len,
				size_t max)
{
	size_t n = 0, seplen = strlen(FUZZ_SEP);

	while (n < max) {
		const uint8_t *hit = size >= seplen ? memmem(data, size, FUZZ_SEP, seplen) : NULL;

		part[n] = data;
		len[n] = hit ? (size_t)(hit - data) : size;
		n++;
		if (!hit)
			break;
		size -= len[n - 1] + seplen;
		data = hit + seplen;
	}
	return n;
}

/* A NUL-terminated copy (malloc'd). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = 0;
	}
	return s;
}

#endif
