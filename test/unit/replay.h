/*
 * replay.h - replays fuzz inputs through a fuzz target (test/fuzz/) in a
 * unit test: the hand-written seeds of the target and every regression
 * input (a finding of `make fuzz`, kept once fixed). Paths are relative
 * to the tree's top, where the unit tests run.
 */
#ifndef REPLAY_H
#define REPLAY_H
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "files.h"

/* Feeds each file of dir to fn; the number of files, -1 when dir is
 * missing. A target aborts the test binary when a property breaks. */
static inline int replay_dir(const char *dir, int (*fn)(const uint8_t *, size_t))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[512], *buf;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((buf = unit_read_file(path, &len))) {
			fn((const uint8_t *)buf, len);
			n++;
		}
		free(buf);
	}
	closedir(d);
	return n;
}

/* Seeds must be there (a wrong path must not pass quietly); regression
 * inputs may not exist yet. */
#define REPLAY(name, fn)                                                        \
	do {                                                                    \
		CU_ASSERT(replay_dir("test/fuzz/seeds/" name, fn) > 0);         \
		CU_ASSERT(replay_dir("test/fuzz/regress/" name, fn) >= 0);      \
	} while (0)

#endif
