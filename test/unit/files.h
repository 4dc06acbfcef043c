/*
 * files.h - reading a test's input files (fuzz inputs, golden files).
 * Paths are relative to the tree's top, where the unit tests run.
 */
#ifndef FILES_H
#define FILES_H
#include <stdio.h>
#include <stdlib.h>

/* The whole file, NUL-terminated after its *len bytes (malloc'd; len may
 * be NULL), or NULL. */
static inline char *unit_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = 0;
		if (len)
			*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

#endif
