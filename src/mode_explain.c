/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>

#include "command.h"
#include "enforce.h"
#include "jsontext.h"
#include "modes.h"
#include "oci.h"
#include "seccomp_util.h"
#include "util.h"

/* explain: what the rewrite step would decide for a config, set by set,
   where in the policy each ceiling comes from, and what the process will
   really hold after execve.  Reads only; changes nothing.  */

static json_t *
names_array (uint64_t set)
{
  json_t *arr = json_array ();
  int cap;

  for (cap = 0; cap < CAPSET_MAX_BITS; cap++)
    if (capset_has (set, cap) && capset_name (cap))
      json_array_append_new (arr, json_string (capset_name (cap)));
  return arr;
}

static const char *
ceiling_key (enum capset_kind k)
{
  return k == CAPSET_INHERITABLE ? "capabilities.inheritable"
         : k == CAPSET_AMBIENT   ? "capabilities.ambient"
                                 : "capabilities.allow";
}

static char *
read_input (const char *path, char **display, size_t *len, struct error **err)
{
  cleanup_close int fd = -1;
  struct stat st;
  char *buf = NULL;

  fd = open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    return make_error (err, errno, "`%s`", path), NULL;
  if (fstat (fd, &st) < 0)
    return make_error (err, errno, "stat `%s`", path), NULL;
  if (S_ISDIR (st.st_mode))
    {
      /* A bundle: its config.json, never through a symlink.  */
      if (util_read_file_at (fd, "config.json", CAPGUARD_MAX_CONFIG, &buf, len, err) < 0)
        return error_wrap (err, "bundle `%s`", path), NULL;
      xasprintf (display, "%s/config.json", path);
      return buf;
    }
  if (!S_ISREG (st.st_mode))
    return make_error (err, 0, "`%s` is not a regular file or a bundle directory", path), NULL;
  if (util_read_fd (fd, CAPGUARD_MAX_CONFIG, path, &buf, len, err) < 0)
    return NULL;
  *display = xstrdup (path);
  return buf;
}

/* Lines of TEXT, split in place.  */
static size_t
split_lines (char *text, char ***lines)
{
  size_t n = 0, cap = 64;
  char *p = text;

  *lines = xmalloc0 (sizeof **lines * cap);
  while (*p)
    {
      char *nl = strchr (p, '\n');
      if (n + 1 >= cap)
        *lines = xrealloc (*lines, sizeof **lines * (cap *= 2));
      (*lines)[n++] = p;
      if (nl == NULL)
        break;
      *nl = '\0';
      p = nl + 1;
    }
  return n;
}

#define DIFF_MAX_LINES 20000
#define DIFF_CONTEXT 3

/* A unified diff (3 lines of context) of two texts, by longest common
   subsequence: configs are a few thousand lines at most.  */
static int
print_diff (FILE *out, const char *name, char *a_text, char *b_text, struct error **err)
{
  cleanup_free char **a = NULL, **b = NULL;
  cleanup_free int *lcs = NULL;
  cleanup_free char *ops = NULL;
  size_t n = split_lines (a_text, &a), m = split_lines (b_text, &b), i, j, k, nops = 0;

  if (n > DIFF_MAX_LINES || m > DIFF_MAX_LINES)
    return make_error (err, 0, "the config is too long to diff (over %d lines)", DIFF_MAX_LINES);
  lcs = xmalloc0 (sizeof *lcs * (n + 1) * (m + 1));
#define L(x, y) lcs[(x) * (m + 1) + (y)]
  for (i = n; i-- > 0;)
    for (j = m; j-- > 0;)
      L (i, j) = strcmp (a[i], b[j]) == 0      ? L (i + 1, j + 1) + 1
                 : L (i + 1, j) > L (i, j + 1) ? L (i + 1, j)
                                               : L (i, j + 1);
  /* The edit script: ' ' keep, '-' delete, '+' insert.  */
  ops = xmalloc0 (n + m + 1);
  for (i = 0, j = 0; i < n || j < m;)
    {
      if (i < n && j < m && strcmp (a[i], b[j]) == 0)
        ops[nops++] = ' ', i++, j++;
      else if (i < n && (j == m || L (i + 1, j) >= L (i, j + 1)))
        ops[nops++] = '-', i++;
      else
        ops[nops++] = '+', j++;
    }
#undef L
  fprintf (out, "--- %s\n+++ %s (capguard)\n", name, name);
  for (k = 0, i = 0, j = 0; k < nops;)
    {
      size_t start, end, ai, bj, an = 0, bn = 0, t;

      if (ops[k] == ' ')
        {
          k++, i++, j++;
          continue;
        }
      /* A hunk: from DIFF_CONTEXT lines before this change to
         DIFF_CONTEXT after the last change closer than 2 contexts.  */
      start = k, ai = i, bj = j;
      for (t = 0; t < DIFF_CONTEXT && start > 0 && ops[start - 1] == ' '; t++)
        start--, ai--, bj--;
      end = k;
      for (;;)
        {
          size_t gap = 0;
          while (end < nops && ops[end] != ' ')
            end++;
          while (end + gap < nops && ops[end + gap] == ' ')
            gap++;
          if (end + gap >= nops || gap > 2 * DIFF_CONTEXT)
            {
              end += gap < DIFF_CONTEXT ? gap : DIFF_CONTEXT;
              break;
            }
          end += gap;
        }
      for (t = start; t < end; t++)
        {
          an += ops[t] != '+';
          bn += ops[t] != '-';
        }
      fprintf (out, "@@ -%zu,%zu +%zu,%zu @@\n", ai + 1, an, bj + 1, bn);
      for (t = start; t < end; t++)
        {
          if (ops[t] == ' ')
            fprintf (out, " %s\n", a[ai++]), bj++;
          else if (ops[t] == '-')
            fprintf (out, "-%s\n", a[ai++]);
          else
            fprintf (out, "+%s\n", b[bj++]);
        }
      k = end, i = ai, j = bj;
    }
  return 0;
}

#define LABEL_WIDTH 13

/* Prints FIRST, then the words of TEXT and TAIL, wrapped at 80 columns with
   continuation lines indented by INDENT.  */
static void
print_wrapped_text (FILE *out, const char *first, int indent, const char *text, const char *tail)
{
  cleanup_free char *copy = NULL;
  char *save = NULL, *w;
  int col = fprintf (out, "%s", first), start = col;

  xasprintf (&copy, "%s%s%s", text, tail && *tail ? " " : "", tail ? tail : "");
  for (w = strtok_r (copy, " ", &save); w; w = strtok_r (NULL, " ", &save))
    {
      if (col > start && col + 1 + (int)strlen (w) > 79)
        col = fprintf (out, "\n%*s", indent, "") - 1, start = col;
      else if (col > start)
        col += fprintf (out, " ");
      col += fprintf (out, "%s", w);
    }
  fputc ('\n', out);
}

/* "  LABEL      NAMES (TAIL)", wrapped.  */
static void
print_wrapped (FILE *out, const char *label, const char *names, const char *tail)
{
  char first[64];

  snprintf (first, sizeof first, "  %-*s", LABEL_WIDTH - 2, label);
  print_wrapped_text (out, first, LABEL_WIDTH, *names ? names : "(none)", tail);
}

int
mode_explain (const struct policy *policy, const char *path, char *const *annotations,
              size_t n_annotations, bool json, bool diff, FILE *out, struct error **err)
{
  cleanup_free char *buf = NULL, *display = NULL, *before_text = NULL, *after_text = NULL;
  struct oci_facts facts = { 0 };
  struct decision d = { 0 };
  json_auto_t *config = NULL, *merged = NULL, *added = NULL, *report = NULL, *sets = NULL,
              *execve = NULL;
  json_auto_t *warnings = NULL;
  uint64_t before_exec[CAPSET_COUNT], after_exec[CAPSET_COUNT];
  bool root, nnp;
  size_t len, i;
  int k, ret = -1;

  buf = read_input (path, &display, &len, err);
  if (buf == NULL)
    return -1;
  config = oci_config_parse (buf, len, display, err);
  if (config == NULL)
    return -1;
  before_text = json_dumps (config, JSON_INDENT (2));

  /* Annotations given on the command line stand for what the engine adds
     (CRI-O's sandbox annotations), merged as a hook merges them.  */
  added = json_object ();
  for (i = 0; i < n_annotations; i++)
    {
      const char *eq = strchr (annotations[i], '=');
      cleanup_free char *key = NULL;
      if (eq == NULL || eq == annotations[i])
        return make_error (err, 0, "--annotation `%s`: expected KEY=VALUE", annotations[i]),
               COMMAND_USAGE;
      key = xstrndup (annotations[i], eq - annotations[i]);
      json_object_set_new (added, key, json_string (eq + 1));
    }

  if (oci_config_facts (config, policy->last_cap, &facts, err) < 0
      || oci_facts_add_annotations (&facts, added, "on the command line", &merged, err) < 0)
    {
      error_wrap (err, "%s", display);
      goto done;
    }
  enforce_decide (policy, &facts, ENFORCE_CAN_REWRITE, &d);

  /* What runc sets before execve is the decided sets; the kernel then
     recomputes them from the uid (capabilities(7)).  */
  memcpy (before_exec, d.outcome == ENFORCE_REWRITTEN ? d.final : facts.sets, sizeof before_exec);
  root = !facts.has_uid || facts.uid == 0;
  nnp = facts.no_new_privileges == 1 || d.set_nnp;
  capset_after_execve (before_exec, root, nnp, after_exec);

  warnings = json_array ();
  if (!root)
    {
      uint64_t lost
          = capset_subtract (before_exec[CAPSET_PERMITTED] | before_exec[CAPSET_EFFECTIVE],
                             after_exec[CAPSET_PERMITTED]);
      if (lost)
        {
          cleanup_free char *names = capset_to_string (lost, " ");
          jsontext_append_printf (
              warnings,
              "uid %u will not hold %s after execve: a non-root process keeps only what "
              "ambient carries (add it to inheritable and ambient, kubernetes#56374)",
              facts.uid, names);
        }
    }
  else
    {
      uint64_t gained
          = capset_subtract (after_exec[CAPSET_PERMITTED], before_exec[CAPSET_PERMITTED]);
      if (gained)
        {
          cleanup_free char *names = capset_to_string (gained, " ");
          jsontext_append_printf (
              warnings,
              "root will hold %s after execve although the config's permitted set lacks "
              "it: root gets its whole bounding set, so only bounding limits it",
              names);
        }
    }

  /* capabilities(7): with CAP_SETPCAP the process may fill inheritable up
     to bounding, then ambient, after it starts.  */
  if (capset_has (d.final[CAPSET_EFFECTIVE], CAP_SETPCAP)
      && (capset_subtract (d.final[CAPSET_BOUNDING], d.final[CAPSET_INHERITABLE])
          || capset_subtract (d.final[CAPSET_BOUNDING], d.final[CAPSET_AMBIENT])))
    jsontext_append_printf (warnings,
                            "the process holds CAP_SETPCAP: after it starts it can raise its "
                            "inheritable set up to its bounding set and then its ambient set, "
                            "beyond the inheritable and ambient ceilings (not beyond allow)");

  report = json_object ();
  json_object_set_new (report, "config", json_string (display));
  json_object_set_new (report, "policy", json_string (policy->source));
  json_object_set_new (report, "rule", json_string (d.rule ? d.rule->name : "default"));
  {
    char *at = d.rule ? policy_locate_setting (policy, d.rule, "name") : NULL;
    json_object_set_new (report, "rule_at", at ? json_string (at) : json_null ());
    free (at);
  }
  json_object_set_new (report, "action", json_string (policy_action_name (d.settings.action)));
  json_object_set_new (report, "decision", json_string (enforce_outcome_name (d.outcome)));
  {
    json_t *id = json_object ();
    json_object_set_new (id, "engine", json_string (facts.engine));
    for (k = 0; k < OCI_FIELD_COUNT; k++)
      json_object_set_new (id, oci_field_name (k),
                           facts.fields[k] ? json_string (facts.fields[k]) : json_null ());
    json_object_set_new (id, "command", facts.command ? json_string (facts.command) : json_null ());
    json_object_set_new (id, "uid", json_integer (facts.has_uid ? facts.uid : 0));
    json_object_set_new (report, "identity", id);
  }
  sets = json_object ();
  for (k = 0; k < CAPSET_COUNT; k++)
    {
      json_t *s = json_object ();
      char *at = policy_locate_setting (policy, d.rule, ceiling_key (k));
      json_object_set_new (s, "configured", names_array (facts.sets[k]));
      json_object_set_new (s, "kept", names_array (capset_subtract (facts.sets[k], d.removed[k])));
      json_object_set_new (s, "removed", names_array (d.removed[k]));
      if (facts.unknown[k])
        json_object_set (s, "unknown", facts.unknown[k]);
      json_object_set_new (s, "ceiling", json_string (ceiling_key (k)));
      json_object_set_new (s, "ceiling_at", at ? json_string (at) : json_null ());
      free (at);
      json_object_set_new (sets, capset_kind_name (k), s);
    }
  json_object_set (report, "sets", sets);
  json_object_set_new (report, "noNewPrivileges",
                       json_pack ("{s:o, s:b}", "configured",
                                  facts.no_new_privileges < 0
                                      ? json_null ()
                                      : json_boolean (facts.no_new_privileges),
                                  "set", d.set_nnp));
  json_object_set_new (report, "seccomp",
                       json_pack ("{s:s, s:b}", "configured",
                                  facts.seccomp == OCI_SECCOMP_NONE         ? "none"
                                  : facts.seccomp == OCI_SECCOMP_UNCONFINED ? "unconfined"
                                                                            : "confined",
                                  "baseline_added", d.set_seccomp));
  json_object_set_new (report, "ping_group_range",
                       d.set_ping ? json_string (ENFORCE_PING_GROUP_RANGE) : json_null ());
  {
    json_t *met = json_array ();
    unsigned bit;
    for (bit = 1; bit < OCI_PRIVILEGED_ALL; bit <<= 1)
      if (facts.privileged & bit)
        json_array_append_new (met, json_string (oci_privileged_criterion (bit)));
    json_object_set_new (report, "privileged",
                         json_pack ("{s:b, s:o}", "privileged",
                                    facts.privileged == OCI_PRIVILEGED_ALL, "criteria_met", met));
  }
  {
    const char *why = seccomp_profile_opens_userns (
        facts.seccomp == OCI_SECCOMP_CONFINED ? facts.seccomp_profile : NULL);
    json_object_set_new (
        report, "user_namespaces",
        json_pack ("{s:s?, s:b}", "allowed_because", why, "denied_by_rewrite", d.set_userns));
  }
  json_object_set (report, "reasons", d.reasons);
  execve = json_object ();
  json_object_set_new (execve, "uid", json_integer (facts.has_uid ? facts.uid : 0));
  for (k = 0; k < CAPSET_COUNT; k++)
    json_object_set_new (execve, capset_kind_name (k), names_array (after_exec[k]));
  json_object_set (report, "after_execve", execve);
  json_object_set (report, "warnings", warnings);

  if (json)
    {
      cleanup_free char *text = json_dumps (report, JSON_INDENT (2));
      fprintf (out, "%s\n", text);
    }
  else
    {
      json_t *w;
      fprintf (out, "config    %s\n", display);
      fprintf (out, "policy    %s\n", policy->source);
      {
        cleanup_free char *at = d.rule ? policy_locate_setting (policy, d.rule, "name") : NULL;
        fprintf (out, "rule      %s%s%s%s\n", d.rule ? d.rule->name : "default (no rule matched)",
                 at ? " (" : "", at ? at : "", at ? ")" : "");
      }
      fprintf (out, "who       engine %s, namespace %s, pod %s, container %s\n", facts.engine,
               facts.fields[OCI_FIELD_NAMESPACE] ? facts.fields[OCI_FIELD_NAMESPACE] : "-",
               facts.fields[OCI_FIELD_POD] ? facts.fields[OCI_FIELD_POD] : "-",
               facts.fields[OCI_FIELD_CONTAINER] ? facts.fields[OCI_FIELD_CONTAINER] : "-");
      fprintf (out, "decision  %s (action %s)\n", enforce_outcome_name (d.outcome),
               policy_action_name (d.settings.action));
      for (k = 0; k < CAPSET_COUNT; k++)
        {
          cleanup_free char *kept
              = capset_to_string (capset_subtract (facts.sets[k], d.removed[k]), " ");
          cleanup_free char *removed = capset_to_string (d.removed[k], " ");
          cleanup_free char *at = policy_locate_setting (policy, d.rule, ceiling_key (k));
          cleanup_free char *why = NULL, *unknown = NULL;

          fprintf (out, "\n%s\n", capset_kind_name (k));
          print_wrapped (out, "kept", kept, NULL);
          if (*removed || facts.unknown[k])
            {
              unknown = facts.unknown[k] ? oci_names_text (facts.unknown[k]) : NULL;
              xasprintf (&why, "(%s%s%s)", ceiling_key (k), at ? " at " : "", at ? at : "");
              print_wrapped (out, "removed", *removed ? removed : unknown, why);
            }
        }
      fprintf (out, "\nnoNewPrivileges  %s\n",
               d.set_nnp                      ? "set by capguard"
               : facts.no_new_privileges == 1 ? "set in the config"
                                              : "not set");
      fprintf (out, "seccomp          %s\n",
               d.set_seccomp                             ? "node baseline added (unconfined before)"
               : facts.seccomp == OCI_SECCOMP_NONE       ? "none"
               : facts.seccomp == OCI_SECCOMP_UNCONFINED ? "unconfined"
                                                         : "the config's profile");
      if (d.set_ping)
        fprintf (out, "sysctl           net.ipv4.ping_group_range = %s\n",
                 ENFORCE_PING_GROUP_RANGE);
      {
        const char *why = seccomp_profile_opens_userns (
            facts.seccomp == OCI_SECCOMP_CONFINED ? facts.seccomp_profile : NULL);
        if (d.set_userns)
          fprintf (out, "user namespaces  denied by capguard (the profile allowed them: %s)\n",
                   why);
        else
          fprintf (out, "user namespaces  %s%s%s\n", why ? "allowed (" : "denied by the profile",
                   why ? why : "", why ? ")" : "");
      }
      {
        unsigned bit;
        fprintf (out, "privileged       %s", facts.privileged == OCI_PRIVILEGED_ALL ? "yes" : "no");
        for (bit = 1; bit < OCI_PRIVILEGED_ALL; bit <<= 1)
          if (facts.privileged & bit)
            fprintf (out, "%s%s", bit == (facts.privileged & -facts.privileged) ? ": " : ", ",
                     oci_privileged_criterion (bit));
        fputc ('\n', out);
      }
      if (json_array_size (d.reasons))
        {
          fprintf (out, "\nwhy\n");
          json_array_foreach (d.reasons, i, w)
            print_wrapped_text (out, "  - ", 4, json_string_value (w), NULL);
        }
      fprintf (out, "\nafter execve, as uid %u (what the process will really hold)\n",
               facts.has_uid ? facts.uid : 0);
      for (k = 0; k < CAPSET_COUNT; k++)
        {
          cleanup_free char *names = capset_to_string (after_exec[k], " ");
          print_wrapped (out, capset_kind_name (k), names, NULL);
        }
      if (json_array_size (warnings))
        {
          fprintf (out, "\nwarnings\n");
          json_array_foreach (warnings, i, w)
            print_wrapped_text (out, "  - ", 4, json_string_value (w), NULL);
        }
    }

  if (diff)
    {
      json_auto_t *edited = json_deep_copy (config);

      /* The same decision, applied to a copy.  */
      if (d.outcome == ENFORCE_REWRITTEN && enforce_apply (policy, &d, edited, err) < 0)
        goto done;
      after_text = json_dumps (edited, JSON_INDENT (2));
      fputc ('\n', out);
      if (strcmp (before_text, after_text) == 0)
        fprintf (out, "(no change to %s)\n", display);
      else if (print_diff (out, display, before_text, after_text, err) < 0)
        goto done;
    }
  ret = 0;
done:
  decision_release (&d);
  oci_facts_release (&facts);
  return ret;
}

int
command_explain (struct command_ctx *ctx, struct error **err)
{
  static const struct option options[] = {
    { "annotation", required_argument, NULL, 'a' },
    { "json", no_argument, NULL, 'j' },
    { "diff", no_argument, NULL, 'd' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free char **annotations = xmalloc0 (sizeof *annotations * ctx->argc);
  const struct policy *policy;
  size_t n_annotations = 0;
  bool json = false, diff = false;
  int c;

  while ((c = command_getopt (ctx, options, err)) != -1)
    switch (c)
      {
      case 'a':
        annotations[n_annotations++] = optarg;
        break;
      case 'j':
        json = true;
        break;
      case 'd':
        diff = true;
        break;
      default:
        return COMMAND_USAGE;
      }
  if (ctx->argc - optind != 1)
    return command_usage (err, "explain takes one config file or bundle directory");
  if ((policy = command_policy (ctx, NULL, err)) == NULL)
    return COMMAND_INVALID;
  return mode_explain (policy, ctx->argv[optind], annotations, n_annotations, json, diff, stdout,
                       err);
}
