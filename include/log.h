/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_LOG_H
#define CAPGUARD_LOG_H

#include <stdbool.h>

#include <jansson.h>

#include "error.h"

/* Writes one decision record (SPEC §5), with `time` added first, as one
   line to syslog (ident `capguard`) when USE_SYSLOG, and appended to FILE
   when not NULL.  PRIORITY is a syslog priority.  A failure is returned, and
   the caller reports it; it never changes the decision.  */
int log_decision (const json_t *record, int priority, bool use_syslog, const char *file,
                  struct error **err);

/* "capguard: warning: ..." on stderr.  */
void log_warning (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

#endif
