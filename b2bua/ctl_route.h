/*
 * ctl_route.h - b2bua-ctl's `route` command (route explain), see
 * ctl_route.c.
 */
#ifndef CTL_ROUTE_H
#define CTL_ROUTE_H

#include <stdio.h>

/* argv[0] is "route". Exit status: 0, 1 (the call would be refused, or
 * output failed), 2 (usage, unknown trunk, database). */
int ctl_route_main(const char *db, const char *sock, int argc, char **argv);
/* route --help. */
int ctl_route_usage(FILE *f);

#endif
