/*
 * golden.h - expected-output files for unit tests: what a function makes
 * of each input in a fixture folder is compared with NAME.EXT next to
 * it. GOLDEN_WRITE=1 in the environment writes the files instead (after
 * a deliberate change; read the diff before committing). Paths are
 * relative to the tree's top, where the unit tests run.
 */
#ifndef GOLDEN_H
#define GOLDEN_H
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "files.h"

/* 1 when got is what dir/name.ext holds (or was just written). */
static inline int golden_match(const char *dir, const char *name, const char *ext, const char *got)
{
	char path[512];
	char *want;
	int ok;

	snprintf(path, sizeof(path), "%s/%s.%s", dir, name, ext);
	if (getenv("GOLDEN_WRITE")) {
		FILE *f = fopen(path, "wb");

		ok = f && fputs(got, f) >= 0;
		if (f)
			fclose(f);
		return ok;
	}
	want = unit_read_file(path, NULL);
	ok = want && strcmp(want, got) == 0;
	if (!ok)
		fprintf(stderr, "\n%s: got\n%s\nwant\n%s\n", path, got, want ? want : "(missing)");
	free(want);
	return ok;
}

/* Calls fn(dir, name, text) for each dir/NAME.sdp; the count, -1 when
 * dir is missing. */
static inline int golden_each_sdp(const char *dir, void (*fn)(const char *, const char *, const char *))
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char path[512], name[256];
		char *text;

		if (len < 5 || strcmp(e->d_name + len - 4, ".sdp") != 0 || len - 4 >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 4), e->d_name);
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (!(text = unit_read_file(path, NULL)))
			continue;
		fn(dir, name, text);
		free(text);
		n++;
	}
	closedir(d);
	return n;
}

#endif
