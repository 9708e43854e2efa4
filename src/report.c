/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <syslog.h>

#include "log.h"
#include "report.h"
#include "util.h"

static void
write_record (const struct policy *policy, json_t *rec, int priority)
{
  cleanup_error struct error *err = NULL;
  bool use_syslog = policy ? policy->log_syslog : true;
  const char *file = policy ? policy->log_file : NULL;

  if (log_decision (rec, priority, use_syslog, file, &err) < 0)
    log_warning ("decision log: %s", err->msg);
}

void
report_decision (const struct policy *policy, const struct decision *d,
                 const struct oci_facts *facts, const char *command, const char *stage,
                 const char *id)
{
  json_auto_t *rec = enforce_record (d, facts, command, stage, id);

  write_record (policy, rec,
                d->outcome == ENFORCE_REFUSED   ? LOG_WARNING
                : d->outcome == ENFORCE_ALLOWED ? LOG_INFO
                                                : LOG_NOTICE);
}

void
report_failure (const struct policy *policy, const char *command, const char *stage, const char *id,
                const char *msg)
{
  json_auto_t *rec
      = json_pack ("{s:s, s:s, s:o, s:s, s:[s]}", "command", command, "stage", stage, "id",
                   id ? json_string (id) : json_null (), "decision", "refused", "reasons", msg);
  if (rec)
    write_record (policy, rec, LOG_ERR);
}
