/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capset.h"
#include "command.h"
#include "modes.h"
#include "observe.h"
#include "util.h"

/* capguard report: what the decision log says, per namespace, then pod and
   container, then image: starts by decision, what was (or would have been)
   removed, what `enforce` would break, and with --suggest the rules that
   would let the observed workloads keep what they asked for.  */

#define REPORT_MAX_INPUT (256 * 1024 * 1024)

static const char *const decisions[] = { "allowed", "rewritten", "refused", "audited", NULL };

/* TIME as the log writes it (UTC, `YYYY-MM-DDTHH:MM:SS`), from an ISO date
   or date and time, or an age: 30s, 15m, 12h, 7d.  */
static int
parse_since (const char *text, char **out, struct error **err)
{
  char *end;
  long n;

  n = strtol (text, &end, 10);
  if (end != text && n >= 0 && end[0] && end[1] == '\0' && strchr ("smhd", end[0]))
    {
      static const long unit[] = { ['s'] = 1, ['m'] = 60, ['h'] = 3600, ['d'] = 86400 };
      time_t t = time (NULL) - n * unit[(unsigned char)end[0]];
      struct tm tm;
      char buf[32];
      gmtime_r (&t, &tm);
      strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
      *out = xstrdup (buf);
      return 0;
    }
  {
    size_t len = strlen (text), i;
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (len != 10 && len != 16 && len != 19)
      goto bad;
    for (i = 0; i < len; i++)
      if (shape[i] == 'd' ? !isdigit ((unsigned char)text[i])
                          : !(text[i] == shape[i] || (shape[i] == 'T' && text[i] == ' ')))
        goto bad;
    *out = xstrdup (text);
    if (len > 10)
      (*out)[10] = 'T';
    return 0;
  }
bad:
  return make_error (err, 0,
                     "--since `%s`: expected YYYY-MM-DD[THH:MM[:SS]] (UTC) or an age such as "
                     "30m, 12h, 7d",
                     text);
}

static const char *
field (json_t *rec, const char *key)
{
  const char *v = json_string_value (json_object_get (rec, key));
  return v ? v : "-";
}

/* The union of every set's removed capabilities in REC, into the object
   NAMES (name -> true).  */
static void
removed_into (json_t *rec, json_t *names)
{
  json_t *removed = json_object_get (rec, "removed"), *arr, *v;
  const char *set;
  size_t i;

  json_object_foreach (removed, set, arr)
    json_array_foreach (arr, i, v)
      if (json_is_string (v))
        json_object_set_new (names, json_string_value (v), json_true ());
}

static char *
joined_keys (json_t *obj)
{
  char *out = NULL;
  const char *k;
  json_t *v;

  json_object_foreach (obj, k, v)
    util_append (&out, " ", "%s", k);
  return out ? out : xstrdup ("-");
}

struct report
{
  json_t
      *groups; /* key -> {namespace, pod, container, image, counts{}, removed{}, break{}, breaks} */
  size_t records, skipped, failures, observed;
  const char *since;
};

/* Shorter than this, an observation is marked as too short to rely on.  */
#define REPORT_MIN_OBSERVED_SECONDS 3600

/* The group of REC's workload (namespace, pod, container, image), made on
   first use.  BY_ID: a record with none of them (podman, ctr, Docker
   without Kubernetes) is its container's own group, by id (observations
   are per container; decisions of such containers stay one group).  */
static json_t *
group_of (struct report *r, json_t *rec, bool by_id)
{
  cleanup_free char *key = NULL;
  const char *id = by_id ? json_string_value (json_object_get (rec, "id")) : NULL;
  bool anonymous = strcmp (field (rec, "namespace"), "-") == 0
                   && strcmp (field (rec, "container"), "-") == 0
                   && strcmp (field (rec, "image"), "-") == 0;
  json_t *g;

  xasprintf (&key, "%s\x1f%s\x1f%s\x1f%s\x1f%s", field (rec, "namespace"), field (rec, "pod"),
             field (rec, "container"), field (rec, "image"), anonymous && id ? id : "");
  g = json_object_get (r->groups, key);
  if (g == NULL)
    {
      g = json_pack ("{s:s, s:s, s:s, s:s, s:{s:i, s:i, s:i, s:i}, s:{}, s:{}, s:i}", "namespace",
                     field (rec, "namespace"), "pod", field (rec, "pod"), "container",
                     field (rec, "container"), "image", field (rec, "image"), "starts", "allowed",
                     0, "rewritten", 0, "refused", 0, "audited", 0, "removed", "would_break",
                     "would_break_starts", 0);
      if (anonymous && id)
        json_object_set_new (g, "id", json_string (id));
      json_object_set_new (r->groups, key, g);
    }
  return g;
}

static void
add_record (struct report *r, json_t *rec)
{
  const char *decision = json_string_value (json_object_get (rec, "decision"));
  const char *time = json_string_value (json_object_get (rec, "time"));
  const char *action = json_string_value (json_object_get (rec, "action"));
  json_t *g, *counts;
  size_t i;
  bool known = false;

  for (i = 0; decision && decisions[i]; i++)
    known = known || strcmp (decision, decisions[i]) == 0;
  if (!known || !json_is_array (json_object_get (rec, "reasons")))
    {
      r->skipped++;
      return;
    }
  if (r->since && (time == NULL || strcmp (time, r->since) < 0))
    return;
  r->records++;
  if (action == NULL)
    {
      /* A failure record (bad input, a broken policy): no identity.  */
      r->failures++;
      return;
    }
  g = group_of (r, rec, false);
  counts = json_object_get (g, "starts");
  json_object_set_new (counts, decision,
                       json_integer (json_integer_value (json_object_get (counts, decision)) + 1));
  removed_into (rec, json_object_get (g, "removed"));
  /* Under enforce, what rewrite clamped or audit let through is refused.  */
  if ((strcmp (decision, "rewritten") == 0 || strcmp (decision, "audited") == 0)
      && strcmp (action, "enforce") != 0)
    {
      json_auto_t *mine = json_object ();
      json_t *v;
      size_t k;
      removed_into (rec, mine);
      /* Beyond capabilities: what privileged: refuse and userNamespaces:
         deny would refuse, from the record's violations (data, not the
         sentences).  */
      json_array_foreach (json_object_get (rec, "violations"), k, v)
        {
          const char *kind = json_string_value (json_object_get (v, "kind"));
          if (kind && (strcmp (kind, "privileged") == 0 || strcmp (kind, "userNamespaces") == 0))
            json_object_set_new (mine, kind, json_true ());
        }
      json_object_update (json_object_get (g, "would_break"), mine);
      if (json_object_size (mine) > 0)
        json_object_set_new (
            g, "would_break_starts",
            json_integer (json_integer_value (json_object_get (g, "would_break_starts")) + 1));
    }
}

static json_t *keys_array (json_t *obj);
static bool has_identity (json_t *g);
static json_t *identity_match (json_t *g);

/* "YYYY-MM-DDTHH:MM:SS[.mmm]Z" as seconds since the epoch; -1 if not.  */
static double
parse_time (const char *text)
{
  struct tm tm = { 0 };
  const char *rest;
  double frac = 0;

  if (text == NULL || (rest = strptime (text, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
    return -1;
  if (rest[0] == '.')
    frac = strtod (rest, NULL);
  return (double)timegm (&tm) + frac;
}

static void
count_into (json_t *obj, const char *cap, json_int_t n)
{
  json_object_set_new (obj, cap,
                       json_integer (json_integer_value (json_object_get (obj, cap)) + n));
}

/* One observation record (capguard observe) into its workload's group.  */
static void
add_observation (struct report *r, json_t *rec)
{
  const char *time = json_string_value (json_object_get (rec, "time"));
  const char *since = json_string_value (json_object_get (rec, "since"));
  const char *result = json_string_value (json_object_get (rec, "result"));
  const char *cap = json_string_value (json_object_get (rec, "capability"));
  json_t *g, *o, *held, *v;
  size_t i;

  if (r->since && strcmp (time, r->since) < 0)
    return;
  r->observed++;
  g = group_of (r, rec, true);
  if ((o = json_object_get (g, "observed")) == NULL)
    {
      o = json_pack ("{s:{}, s:{}, s:{}, s:{}, s:s, s:s}", "used", "refused", "in_user_namespace",
                     "held", "since", since, "until", time);
      json_object_set_new (g, "observed", o);
    }
  count_into (json_object_get (o, json_is_true (json_object_get (rec, "in_user_namespace"))
                                      ? "in_user_namespace"
                                      : result),
              cap, json_integer_value (json_object_get (rec, "count")));
  if (strcmp (since, json_string_value (json_object_get (o, "since"))) < 0)
    json_object_set_new (o, "since", json_string (since));
  if (strcmp (time, json_string_value (json_object_get (o, "until"))) > 0)
    json_object_set_new (o, "until", json_string (time));
  held = json_object_get (o, "held");
  json_array_foreach (json_object_get (rec, "held"), i, v)
    json_object_set_new (held, json_string_value (v), json_true ());
}

/* An observation file: every line must be a record capguard observe
   wrote; anything else is an error naming the line.  */
static int
read_observed (struct report *r, const char *file, struct error **err)
{
  cleanup_close int fd = open (file, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t len, lineno = 0;
  char *line, *next;

  if (fd < 0)
    return make_error (err, errno, "open `%s`", file);
  if (util_read_fd (fd, REPORT_MAX_INPUT, file, &buf, &len, err) < 0)
    return -1;
  if (memchr (buf, '\0', len))
    return make_error (err, 0, "%s: a NUL byte: not an observation file", file);
  for (line = buf; line < buf + len; line = next)
    {
      json_auto_t *rec = NULL;
      json_error_t jerr;
      cleanup_error struct error *why = NULL;
      char *nl = memchr (line, '\n', (size_t)(buf + len - line));

      next = nl ? nl + 1 : buf + len;
      if (nl)
        *nl = '\0';
      lineno++;
      if (line[0] == '\0')
        continue;
      rec = json_loads (line, JSON_REJECT_DUPLICATES, &jerr);
      if (rec == NULL)
        return make_error (err, 0, "%s:%zu: not a JSON record (%s)%s", file, lineno, jerr.text,
                           nl ? "" : "; the last line is cut short");
      if (observe_record_check (rec, &why) < 0)
        return make_error (err, 0, "%s:%zu: %s", file, lineno, error_msg (why));
      add_observation (r, rec);
    }
  return 0;
}

/* What group G's observation adds up to, and with SUGGEST the rule that
   allows what was used and the securityContext that asks for it.  */
static json_t *
observation_of (json_t *g, bool suggest)
{
  json_t *o = json_object_get (g, "observed"), *out, *add;
  double seconds = parse_time (json_string_value (json_object_get (o, "until")))
                   - parse_time (json_string_value (json_object_get (o, "since")));
  const char *cap;
  json_t *v;

  out = json_pack (
      "{s:O, s:O, s:O, s:O, s:o, s:o, s:o, s:o, s:O, s:O, s:I, s:b}", "namespace",
      json_object_get (g, "namespace"), "pod", json_object_get (g, "pod"), "container",
      json_object_get (g, "container"), "image", json_object_get (g, "image"), "held",
      keys_array (json_object_get (o, "held")), "used", keys_array (json_object_get (o, "used")),
      "refused", keys_array (json_object_get (o, "refused")), "in_user_namespace",
      keys_array (json_object_get (o, "in_user_namespace")), "since", json_object_get (o, "since"),
      "until", json_object_get (o, "until"), "observed_seconds",
      (json_int_t)(seconds > 0 ? seconds : 0), "too_short", seconds < REPORT_MIN_OBSERVED_SECONDS);
  if (json_object_get (g, "id"))
    json_object_set (out, "id", json_object_get (g, "id"));
  if (!suggest)
    return out;
  if (has_identity (g))
    {
      cleanup_free char *name = NULL;
      xasprintf (&name, "least privilege: %s/%s",
                 json_string_value (json_object_get (g, "namespace")),
                 json_string_value (json_object_get (g, "container")));
      json_object_set_new (out, "rule",
                           json_pack ("{s:s, s:o, s:{s:o}}", "name", name, "match",
                                      identity_match (g), "capabilities", "allow",
                                      keys_array (json_object_get (o, "used"))));
    }
  else
    json_object_set_new (out, "rule", json_null ());
  /* Kubernetes names capabilities without the CAP_ prefix.  */
  add = json_array ();
  json_object_foreach (json_object_get (o, "used"), cap, v)
    json_array_append_new (add, json_string (strncmp (cap, "CAP_", 4) == 0 ? cap + 4 : cap));
  json_object_set_new (out, "securityContext",
                       json_pack ("{s:{s:[s], s:o}}", "capabilities", "drop", "ALL", "add", add));
  return out;
}

/* The keys of OBJ as a JSON array (JSON output has lists, not sets).  */
static json_t *
keys_array (json_t *obj)
{
  json_t *arr = json_array (), *v;
  const char *k;

  json_object_foreach (obj, k, v)
    json_array_append_new (arr, json_string (k));
  return arr;
}

static int
read_log (struct report *r, int fd, const char *name, struct error **err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  char *line, *save = NULL;

  if (util_read_fd (fd, REPORT_MAX_INPUT, name, &buf, &len, err) < 0)
    return -1;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      json_auto_t *rec = json_loads (line, JSON_REJECT_DUPLICATES, NULL);
      if (json_is_object (rec))
        add_record (r, rec);
      else
        r->skipped++;
    }
  return 0;
}

/* The match of a rule naming the workloads of group G as narrowly as
   their identity allows (not the pod: its name changes with every
   replica).  */
static json_t *
identity_match (json_t *g)
{
  json_t *match = json_object ();
  const char *keys[] = { "namespace", "container", "image" };
  size_t i;

  for (i = 0; i < 3; i++)
    {
      const char *value = json_string_value (json_object_get (g, keys[i]));
      cleanup_free char *quoted = NULL;
      size_t j, n = 0;
      if (strcmp (value, "-") == 0)
        continue;
      /* POSIX ERE, matching the whole value: escape what is special.  */
      quoted = xmalloc0 (2 * strlen (value) + 1);
      for (j = 0; value[j]; j++)
        {
          if (strchr ("\\.[]()*+?{}|^$", value[j]))
            quoted[n++] = '\\';
          quoted[n++] = value[j];
        }
      json_object_set_new (match, keys[i], json_string (quoted));
    }
  return match;
}

/* A rule that lets the workloads of group G keep what was removed from
   them.  */
static json_t *
suggested_rule (json_t *g)
{
  json_t *add = json_array (), *rule;
  const char *name;
  json_t *v;
  cleanup_free char *rule_name = NULL;

  json_object_foreach (json_object_get (g, "would_break"), name, v)
    if (strcmp (name, "privileged") != 0 && strcmp (name, "userNamespaces") != 0)
      json_array_append_new (add, json_string (name));
  xasprintf (&rule_name, "observed: %s/%s", json_string_value (json_object_get (g, "namespace")),
             json_string_value (json_object_get (g, "container")));
  rule = json_pack ("{s:s, s:o, s:{s:o}}", "name", rule_name, "match", identity_match (g),
                    "capabilities", "add", add);
  if (json_object_get (json_object_get (g, "would_break"), "privileged"))
    json_object_set_new (rule, "privileged", json_string ("keep"));
  if (json_object_get (json_object_get (g, "would_break"), "userNamespaces"))
    json_object_set_new (rule, "userNamespaces", json_string ("keep"));
  return rule;
}

/* A rule for a workload without a Kubernetes identity (podman, ctr,
   Docker) would match every container: none is suggested for it.  */
static bool
has_identity (json_t *g)
{
  return strcmp (json_string_value (json_object_get (g, "namespace")), "-") != 0
         || strcmp (json_string_value (json_object_get (g, "container")), "-") != 0
         || strcmp (json_string_value (json_object_get (g, "image")), "-") != 0;
}

static int
by_breaks (const void *a, const void *b)
{
  json_t *ga = *(json_t *const *)a, *gb = *(json_t *const *)b;
  size_t na = json_object_size (json_object_get (ga, "would_break"));
  size_t nb = json_object_size (json_object_get (gb, "would_break"));

  json_int_t sa = json_integer_value (json_object_get (ga, "would_break_starts"));
  json_int_t sb = json_integer_value (json_object_get (gb, "would_break_starts"));
  int c;

  /* Narrowest first: fewest capabilities, then most starts, then by name.  */
  if (na != nb)
    return na < nb ? -1 : 1;
  if (sa != sb)
    return sa > sb ? -1 : 1;
  c = strcmp (json_string_value (json_object_get (ga, "namespace")),
              json_string_value (json_object_get (gb, "namespace")));
  return c ? c
           : strcmp (json_string_value (json_object_get (ga, "container")),
                     json_string_value (json_object_get (gb, "container")));
}

/* LOGS (standard input when none; "-" is standard input too) into R.  */
static int
read_logs (struct report *r, char *const *logs, size_t n_logs, struct error **err)
{
  size_t i;

  if (n_logs == 0)
    return read_log (r, STDIN_FILENO, "standard input", err);
  for (i = 0; i < n_logs; i++)
    {
      cleanup_close int fd
          = strcmp (logs[i], "-") == 0 ? dup (STDIN_FILENO) : open (logs[i], O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return make_error (err, errno, "open `%s`", logs[i]);
      if (read_log (r, fd, logs[i], err) < 0)
        return -1;
    }
  return 0;
}

/* The workloads enforce would refuse, narrowest first; *N of them.  */
static json_t **
breaking_groups (json_t *groups, size_t *n)
{
  json_t **breaking = xmalloc0 (sizeof *breaking * (json_object_size (groups) + 1));
  const char *key;
  json_t *g;

  *n = 0;
  json_object_foreach (groups, key, g)
    if (json_object_size (json_object_get (g, "would_break")) > 0)
      breaking[(*n)++] = g;
  qsort (breaking, *n, sizeof *breaking, by_breaks);
  return breaking;
}

static void
print_json (FILE *out, const struct report *r, json_t *groups, json_t **breaking, size_t n_breaking,
            json_t *rules, json_t *observed)
{
  json_auto_t *doc = NULL;
  json_t *arr = json_array (), *g;
  cleanup_free char *text = NULL;
  const char *key;
  size_t i;

  json_object_foreach (groups, key, g)
    {
      json_t *copy = json_deep_copy (g);
      json_object_set_new (copy, "removed", keys_array (json_object_get (g, "removed")));
      json_object_set_new (copy, "would_break", keys_array (json_object_get (g, "would_break")));
      json_object_del (copy, "observed"); /* in "observed", per workload */
      json_array_append_new (arr, copy);
    }
  doc = json_pack ("{s:s?, s:i, s:i, s:i, s:o, s:[]}", "since", r->since, "records",
                   (json_int_t)r->records, "failures", (json_int_t)r->failures, "skipped_lines",
                   (json_int_t)r->skipped, "workloads", arr, "would_break");
  for (i = 0; i < n_breaking; i++)
    json_array_append_new (json_object_get (doc, "would_break"),
                           json_pack ("{s:O, s:O, s:O, s:O, s:o}", "namespace",
                                      json_object_get (breaking[i], "namespace"), "pod",
                                      json_object_get (breaking[i], "pod"), "container",
                                      json_object_get (breaking[i], "container"), "starts",
                                      json_object_get (breaking[i], "would_break_starts"),
                                      "capabilities",
                                      keys_array (json_object_get (breaking[i], "would_break"))));
  if (rules)
    json_object_set (doc, "suggested_rules", rules);
  json_object_set_new (doc, "observation_records", json_integer ((json_int_t)r->observed));
  json_object_set (doc, "observed", observed);
  text = json_dumps (doc, JSON_INDENT (2));
  fprintf (out, "%s\n", text);
}

static void
print_workloads (FILE *out, json_t *groups)
{
  const char *key;
  json_t *g;

  fprintf (out, "%-16s %-32s %-24s %5s %5s %5s %5s  %s\n", "NAMESPACE", "POD/CONTAINER", "IMAGE",
           "ALLOW", "REWR", "REFUS", "AUDIT", "REMOVED (or would be)");
  json_object_foreach (groups, key, g)
    {
      json_t *c = json_object_get (g, "starts");
      cleanup_free char *who = NULL, *caps = joined_keys (json_object_get (g, "removed"));
      xasprintf (&who, "%s/%s", json_string_value (json_object_get (g, "pod")),
                 json_string_value (json_object_get (g, "container")));
      fprintf (out, "%-16s %-32s %-24s %5d %5d %5d %5d  %s\n",
               json_string_value (json_object_get (g, "namespace")), who,
               json_string_value (json_object_get (g, "image")),
               (int)json_integer_value (json_object_get (c, "allowed")),
               (int)json_integer_value (json_object_get (c, "rewritten")),
               (int)json_integer_value (json_object_get (c, "refused")),
               (int)json_integer_value (json_object_get (c, "audited")), caps);
    }
}

static void
print_list (FILE *out, const char *label, json_t *arr)
{
  json_t *v;
  size_t i;

  fprintf (out, "%s%s:", strcmp (label, "held") == 0 ? "" : "; ", label);
  if (json_array_size (arr) == 0)
    fprintf (out, " none");
  json_array_foreach (arr, i, v)
    fprintf (out, " %s", json_string_value (v));
}

/* What each observed workload held, used and tried.  */
static void
print_observed (FILE *out, const struct report *r, json_t *observed, bool suggest)
{
  json_t *o;
  size_t i;

  fprintf (out, "\nwhat each workload used (%zu observation records, capguard observe):\n",
           r->observed);
  json_array_foreach (observed, i, o)
    {
      const char *id = json_string_value (json_object_get (o, "id"));
      fprintf (out, "  %s/%s/%s (%s)", json_string_value (json_object_get (o, "namespace")),
               json_string_value (json_object_get (o, "pod")),
               json_string_value (json_object_get (o, "container")),
               id ? id : json_string_value (json_object_get (o, "image")));
      fprintf (out, "\n    ");
      print_list (out, "held", json_object_get (o, "held"));
      print_list (out, "used", json_object_get (o, "used"));
      print_list (out, "tried and refused", json_object_get (o, "refused"));
      if (json_array_size (json_object_get (o, "in_user_namespace")))
        print_list (out, "in a user namespace of its own",
                    json_object_get (o, "in_user_namespace"));
      fprintf (out, "; observed %lld s%s\n",
               (long long)json_integer_value (json_object_get (o, "observed_seconds")),
               json_is_true (json_object_get (o, "too_short"))
                   ? " (too short to rely on: observe at least an hour, through the workload's "
                     "whole cycle)"
                   : "");
    }
  if (!suggest)
    return;
  fprintf (out, "\nleast privilege from observation (allow what was used, never what was only "
                "held; put the rules in the policy's \"rules\", then capguard check):\n");
  json_array_foreach (observed, i, o)
    {
      cleanup_free char *rule = NULL, *patch = NULL;
      json_auto_t *container
          = json_pack ("{s:O, s:O}", "name", json_object_get (o, "container"), "securityContext",
                       json_object_get (o, "securityContext"));
      if (json_is_null (json_object_get (o, "rule")))
        {
          fprintf (out, "  %s: no identity, no rule can name it alone\n",
                   json_string_value (json_object_get (o, "id")));
          continue;
        }
      rule = json_dumps (json_object_get (o, "rule"), JSON_INDENT (2));
      patch = json_dumps (container, JSON_COMPACT);
      fprintf (out, "%s\n  Kubernetes container: %s\n", rule, patch);
    }
}

static void
print_text (FILE *out, const struct report *r, json_t *groups, json_t **breaking, size_t n_breaking,
            json_t *rules, json_t *observed, bool suggest)
{
  size_t i;

  fprintf (out, "%zu decisions%s%s%s, of which %zu failed (bad input, a broken policy)\n\n",
           r->records, r->since ? " since " : "", r->since ? r->since : "", r->since ? " UTC" : "",
           r->failures);
  print_workloads (out, groups);
  fprintf (out, "\nwhat enforce would refuse (narrowest first):\n");
  if (n_breaking == 0)
    fprintf (out, "  nothing\n");
  for (i = 0; i < n_breaking; i++)
    {
      cleanup_free char *caps = joined_keys (json_object_get (breaking[i], "would_break"));
      fprintf (out, "  %s/%s (%d starts): %s%s\n",
               json_string_value (json_object_get (breaking[i], "namespace")),
               json_string_value (json_object_get (breaking[i], "container")),
               (int)json_integer_value (json_object_get (breaking[i], "would_break_starts")), caps,
               has_identity (breaking[i]) ? "" : " (no identity: no rule can name it alone)");
    }
  if (r->skipped)
    fprintf (out, "\n%zu lines were not decision records and were skipped\n", r->skipped);
  if (rules)
    {
      cleanup_free char *text = json_dumps (rules, JSON_INDENT (2));
      fprintf (out,
               "\nsuggested rules (put them in the policy's \"rules\", then capguard check):\n%s\n",
               text);
    }
  if (r->observed)
    print_observed (out, r, observed, suggest);
}

int
mode_report (char *const *logs, size_t n_logs, char *const *observed_files, size_t n_observed,
             const char *since, bool suggest, bool json, FILE *out, struct error **err)
{
  cleanup_free char *since_norm = NULL;
  cleanup_free json_t **breaking = NULL;
  json_auto_t *groups = json_object (), *rules = NULL, *observed = json_array ();
  struct report r = { .groups = groups };
  const char *key;
  json_t *g;
  size_t i, n_breaking;

  if (since && parse_since (since, &since_norm, err) < 0)
    return -2;
  r.since = since_norm;
  for (i = 0; i < n_observed; i++)
    if (read_observed (&r, observed_files[i], err) < 0)
      return -1;
  /* Only observation files given: no decision log from standard input.  */
  if ((n_logs > 0 || n_observed == 0) && read_logs (&r, logs, n_logs, err) < 0)
    return -1;
  json_object_foreach (groups, key, g)
    if (json_object_get (g, "observed"))
      json_array_append_new (observed, observation_of (g, suggest));
  breaking = breaking_groups (groups, &n_breaking);
  if (suggest)
    {
      rules = json_array ();
      for (i = 0; i < n_breaking; i++)
        if (has_identity (breaking[i]))
          json_array_append_new (rules, suggested_rule (breaking[i]));
    }
  if (json)
    print_json (out, &r, groups, breaking, n_breaking, rules, observed);
  else
    print_text (out, &r, groups, breaking, n_breaking, rules, observed, suggest);
  return 0;
}

int
command_report (struct command_ctx *ctx, struct error **err)
{
  static const struct option options[] = {
    { "since", required_argument, NULL, 's' },
    { "suggest", no_argument, NULL, 'g' },
    { "json", no_argument, NULL, 'j' },
    { "observed", required_argument, NULL, 'o' },
    { NULL, 0, NULL, 0 },
  };
  const char *since = NULL;
  cleanup_free char **observed = xmalloc0 (sizeof *observed * (size_t)(ctx->argc + 1));
  size_t n_observed = 0;
  bool suggest = false, json = false;
  int c;

  while ((c = command_getopt (ctx, options, err)) != -1)
    switch (c)
      {
      case 's':
        since = optarg;
        break;
      case 'g':
        suggest = true;
        break;
      case 'j':
        json = true;
        break;
      case 'o':
        observed[n_observed++] = optarg;
        break;
      default:
        return COMMAND_USAGE;
      }
  return mode_report (ctx->argv + optind, (size_t)(ctx->argc - optind), observed, n_observed, since,
                      suggest, json, stdout, err);
}
