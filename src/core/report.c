/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <syslog.h>

#include "capset.h"
#include "jsontext.h"
#include "log.h"
#include "report.h"
#include "util.h"

json_t *
report_record (const struct report_at *at, const struct decision *d, const struct oci_facts *facts)
{
  json_t *rec = json_object (), *removed = json_object ();
  int k;

  json_object_set_new (rec, "command", json_string (at->command));
  json_object_set_new (rec, "stage", jsontext_string_or_null (at->stage));
  json_object_set_new (rec, "id", jsontext_string_or_null (at->id));
  json_object_set_new (rec, "engine", json_string (facts->engine ? facts->engine : "unknown"));
  for (k = 0; k < FIELD_KUBERNETES_COUNT; k++)
    json_object_set_new (rec, field_name (k), jsontext_string_or_null (facts->fields[k]));
  json_object_set_new (rec, "rule", json_string (d->rule ? d->rule->name : "default"));
  json_object_set_new (rec, "action", json_string (policy_action_name (d->settings.action)));
  json_object_set_new (rec, "decision", json_string (enforce_outcome_name (d->outcome)));
  for (k = 0; k < CAPSET_COUNT; k++)
    {
      json_t *arr = jsontext_cap_names (d->removed[k]);
      /* Each name as the config wrote it: the record's JSON quotes it.  */
      if (facts->unknown[k])
        json_array_extend (arr, facts->unknown[k]);
      json_object_set_new (removed, capset_kind_name (k), arr);
    }
  json_object_set_new (rec, "removed", removed);
  json_object_set (rec, "reasons", d->reasons);
  if (d->violations)
    json_object_set (rec, "violations", d->violations);
  else
    json_object_set_new (rec, "violations", json_array ());
  /* Beyond SPEC §5, after its fields: the bounding set it runs with, what
     `capguard observe` and report weigh use against.  */
  json_object_set_new (rec, "held", jsontext_cap_names (d->final[CAPSET_BOUNDING]));
  return rec;
}

char *
report_summary (const struct policy *policy, const struct decision *d)
{
  cleanup_free char *joined = NULL, *rule = NULL;
  json_t *r;
  size_t i;
  char *out;

  json_array_foreach (d->reasons, i, r)
    util_append (&joined, "; ", "%s", json_string_value (r));
  if (d->rule)
    xasprintf (&rule, "rule `%s`", d->rule->name);
  xasprintf (&out, "%s by %s (%s, action %s): %s", enforce_outcome_name (d->outcome),
             strcmp (policy->source, "<built-in>") == 0 ? "the built-in policy" : policy->source,
             rule ? rule : "top level", policy_action_name (d->settings.action),
             joined ? joined : "conforms");
  return out;
}

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
report_decision (const struct report_at *at, const struct decision *d,
                 const struct oci_facts *facts)
{
  json_auto_t *rec = report_record (at, d, facts);

  write_record (at->policy, rec,
                d->outcome == ENFORCE_REFUSED   ? LOG_WARNING
                : d->outcome == ENFORCE_ALLOWED ? LOG_INFO
                                                : LOG_NOTICE);
}

void
report_failure (const struct report_at *at, const char *msg)
{
  json_auto_t *rec = json_pack ("{s:s, s:s, s:o, s:s, s:[s]}", "command", at->command, "stage",
                                at->stage, "id", at->id ? json_string (at->id) : json_null (),
                                "decision", "refused", "reasons", msg);
  if (rec)
    write_record (at->policy, rec, LOG_ERR);
}

int
report_outcome (const struct report_at *at, const struct decision *d, const struct oci_facts *facts,
                struct error **err)
{
  cleanup_free char *summary = NULL;

  report_decision (at, d, facts);
  if (d->outcome != ENFORCE_REFUSED)
    return 0;
  summary = report_summary (at->policy, d);
  make_error (err, 0, "%s", summary);
  return 1;
}
