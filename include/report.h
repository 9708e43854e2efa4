/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_REPORT_H
#define CAPGUARD_REPORT_H

#include "enforce.h"
#include "oci.h"
#include "policy.h"

/* The decision log of SPEC §5, for the modes.  podman does not show a
   hook's stderr, so every outcome, failures included, is written here; a
   failure to write the log is reported on stderr and changes nothing.  */

/* The decision-log record of SPEC §5 (without `time`, which the log adds).  */
json_t *report_record (const struct decision *d, const struct oci_facts *facts, const char *command,
                       const char *stage, const char *id);

/* One human line: why the container was refused, or what was changed,
   naming POLICY's file and the rule.  */
char *report_summary (const struct policy *policy, const struct decision *d);

/* The end of every decision: logs D, and returns 1 with *err saying why
   when it refused the container, else 0.  */
int report_outcome (const struct policy *policy, const struct decision *d,
                    const struct oci_facts *facts, const char *command, const char *stage,
                    const char *id, struct error **err);

/* Logs decision D on FACTS, at a priority after its outcome.  */
void report_decision (const struct policy *policy, const struct decision *d,
                      const struct oci_facts *facts, const char *command, const char *stage,
                      const char *id);

/* Logs that COMMAND failed (fail closed: the container does not run) with
   MSG.  POLICY NULL (it could not be loaded) logs to syslog alone.  */
void report_failure (const struct policy *policy, const char *command, const char *stage,
                     const char *id, const char *msg);

#endif
