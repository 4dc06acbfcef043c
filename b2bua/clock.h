/*
 * clock.h - wall clock for CDRs, monotonic clock for timers and rates.
 */
#ifndef CLOCK_H
#define CLOCK_H

#include <stdint.h>

int64_t clock_wall_ms(void);   /* Unix epoch milliseconds */
int64_t clock_mono_ms(void);   /* CLOCK_MONOTONIC milliseconds */

#endif
