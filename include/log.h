/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_LOG_H
#define CAPGUARD_LOG_H

#include <stdbool.h>
#include <time.h>

#include <jansson.h>

#include "error.h"

/* Writes one decision record (SPEC §5), with `time` added first, as one
   line to syslog (ident `capguard`) when USE_SYSLOG, and appended to FILE
   when not NULL.  PRIORITY is a syslog priority.  A failure is returned, and
   the caller reports it; it never changes the decision.  */
int log_decision (const json_t *record, int priority, bool use_syslog, const char *file,
                  struct error **err);

/* Appends LINE and a newline to FILE in one write(2) (O_APPEND: whole
   lines from concurrent writers), creating FILE (0640) and its own
   directory (0750, not its parents) when missing.  */
int log_append_line (const char *file, const char *line, struct error **err);

/* The time now as the logs write it: "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC).  */
#define LOG_TIME_LEN 64
void log_time (char buf[LOG_TIME_LEN]);

/* SECS and MSEC (0-999) of UTC, in the same form.  */
void log_time_at (time_t secs, long msec, char buf[LOG_TIME_LEN]);

/* "capguard: warning: ..." on stderr.  */
void log_warning (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
