/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_REPORT_H
#define CAPGUARD_REPORT_H

#include "enforce.h"
#include "oci.h"
#include "policy.h"

/* The decision log of SPEC §5, for the modes.  podman does not show a
   hook's stderr, so every outcome, failures included, is written here; a
   failure to write the log is reported on stderr and changes nothing.  */

/* The hot path's context: who decides, where and on which container.  One
   per decision, passed whole to everything that logs it.  */
struct report_at
{
  const struct policy *policy; /* NULL: it did not load (syslog alone) */
  const char *command;         /* precreate, hook, runtime */
  const char *stage;           /* precreate, createRuntime, poststart, create, exec, ... */
  const char *id;              /* the container's id, when known */
};

/* The decision-log record of SPEC §5 (without `time`, which the log adds).  */
json_t *report_record (const struct report_at *at, const struct decision *d,
                       const struct oci_facts *facts);

/* One human line: why the container was refused, or what was changed,
   naming POLICY's file and the rule.  */
char *report_summary (const struct policy *policy, const struct decision *d);

/* The end of every decision: logs D, and returns 1 with *err saying why
   when it refused the container, else 0.  */
int report_outcome (const struct report_at *at, const struct decision *d,
                    const struct oci_facts *facts, struct error **err);

/* Logs decision D on FACTS, at a priority after its outcome.  */
void report_decision (const struct report_at *at, const struct decision *d,
                      const struct oci_facts *facts);

/* Logs that COMMAND failed (fail closed: the container does not run) with
   MSG.  POLICY NULL (it could not be loaded) logs to syslog alone.  */
void report_failure (const struct report_at *at, const char *msg);

#endif
