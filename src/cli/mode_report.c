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
  size_t records, skipped, failures;
  const char *since;
};

static void
add_record (struct report *r, json_t *rec)
{
  cleanup_free char *key = NULL;
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
  xasprintf (&key, "%s\x1f%s\x1f%s\x1f%s", field (rec, "namespace"), field (rec, "pod"),
             field (rec, "container"), field (rec, "image"));
  g = json_object_get (r->groups, key);
  if (g == NULL)
    {
      g = json_pack ("{s:s, s:s, s:s, s:s, s:{s:i, s:i, s:i, s:i}, s:{}, s:{}, s:i}", "namespace",
                     field (rec, "namespace"), "pod", field (rec, "pod"), "container",
                     field (rec, "container"), "image", field (rec, "image"), "starts", "allowed",
                     0, "rewritten", 0, "refused", 0, "audited", 0, "removed", "would_break",
                     "would_break_starts", 0);
      json_object_set_new (r->groups, key, g);
    }
  counts = json_object_get (g, "starts");
  json_object_set_new (counts, decision,
                       json_integer (json_integer_value (json_object_get (counts, decision)) + 1));
  removed_into (rec, json_object_get (g, "removed"));
  /* Under enforce, what rewrite clamped or audit let through is refused.  */
  if ((strcmp (decision, "rewritten") == 0 || strcmp (decision, "audited") == 0)
      && strcmp (action, "enforce") != 0)
    {
      json_auto_t *mine = json_object ();
      json_t *reason;
      size_t k;
      removed_into (rec, mine);
      /* Beyond capabilities: what privileged: refuse and userNamespaces:
         deny would refuse (their reasons say so).  */
      json_array_foreach (json_object_get (rec, "reasons"), k, reason)
        {
          const char *text = json_string_value (reason);
          if (text && strstr (text, "refused by privileged: refuse"))
            json_object_set_new (mine, "privileged", json_true ());
          if (text && strstr (text, "denied by userNamespaces: deny"))
            json_object_set_new (mine, "userNamespaces", json_true ());
        }
      json_object_update (json_object_get (g, "would_break"), mine);
      if (json_object_size (mine) > 0)
        json_object_set_new (
            g, "would_break_starts",
            json_integer (json_integer_value (json_object_get (g, "would_break_starts")) + 1));
    }
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

/* A rule that lets the workloads of group G keep what was removed from
   them, matching them as narrowly as their identity allows.  */
static json_t *
suggested_rule (json_t *g)
{
  json_t *match = json_object (), *add = json_array (), *rule;
  const char *keys[] = { "namespace", "pod", "container", "image" };
  const char *name;
  json_t *v;
  size_t i;
  cleanup_free char *rule_name = NULL;

  for (i = 0; i < 4; i++)
    {
      const char *value = json_string_value (json_object_get (g, keys[i]));
      cleanup_free char *quoted = NULL;
      size_t j, n = 0;
      if (strcmp (value, "-") == 0 || strcmp (keys[i], "pod") == 0)
        continue; /* a pod's name changes with every replica */
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
  json_object_foreach (json_object_get (g, "would_break"), name, v)
    if (strcmp (name, "privileged") != 0 && strcmp (name, "userNamespaces") != 0)
      json_array_append_new (add, json_string (name));
  xasprintf (&rule_name, "observed: %s/%s", json_string_value (json_object_get (g, "namespace")),
             json_string_value (json_object_get (g, "container")));
  rule = json_pack ("{s:s, s:o, s:{s:o}}", "name", rule_name, "match", match, "capabilities", "add",
                    add);
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
            json_t *rules)
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
print_text (FILE *out, const struct report *r, json_t *groups, json_t **breaking, size_t n_breaking,
            json_t *rules)
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
}

int
mode_report (char *const *logs, size_t n_logs, const char *since, bool suggest, bool json,
             FILE *out, struct error **err)
{
  cleanup_free char *since_norm = NULL;
  cleanup_free json_t **breaking = NULL;
  json_auto_t *groups = json_object (), *rules = NULL;
  struct report r = { .groups = groups };
  size_t i, n_breaking;

  if (since && parse_since (since, &since_norm, err) < 0)
    return -2;
  r.since = since_norm;
  if (read_logs (&r, logs, n_logs, err) < 0)
    return -1;
  breaking = breaking_groups (groups, &n_breaking);
  if (suggest)
    {
      rules = json_array ();
      for (i = 0; i < n_breaking; i++)
        if (has_identity (breaking[i]))
          json_array_append_new (rules, suggested_rule (breaking[i]));
    }
  if (json)
    print_json (out, &r, groups, breaking, n_breaking, rules);
  else
    print_text (out, &r, groups, breaking, n_breaking, rules);
  return 0;
}

int
command_report (struct command_ctx *ctx, struct error **err)
{
  static const struct option options[] = {
    { "since", required_argument, NULL, 's' },
    { "suggest", no_argument, NULL, 'g' },
    { "json", no_argument, NULL, 'j' },
    { NULL, 0, NULL, 0 },
  };
  const char *since = NULL;
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
      default:
        return COMMAND_USAGE;
      }
  return mode_report (ctx->argv + optind, (size_t)(ctx->argc - optind), since, suggest, json,
                      stdout, err);
}
