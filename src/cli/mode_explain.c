/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>

#include "command.h"
#include "diff.h"
#include "enforce.h"
#include "jsontext.h"
#include "modes.h"
#include "oci.h"
#include "seccomp_util.h"
#include "util.h"

/* explain: what the rewrite step would decide for a config, set by set,
   where in the policy each ceiling comes from, and what the process will
   really hold after execve.  Reads only; changes nothing.  */

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

/* What the kernel will make of the decided sets at execve, and what that
   means for the container's author, as warnings.  */
static json_t *
execve_warnings (const struct oci_facts *facts, const struct decision *d,
                 const uint64_t before[CAPSET_COUNT], const uint64_t after[CAPSET_COUNT], bool root)
{
  json_t *warnings = json_array ();
  uint64_t lost = capset_subtract (before[CAPSET_PERMITTED] | before[CAPSET_EFFECTIVE],
                                   after[CAPSET_PERMITTED]);
  uint64_t gained = capset_subtract (after[CAPSET_PERMITTED], before[CAPSET_PERMITTED]);

  if (!root && lost)
    {
      cleanup_free char *names = capset_to_string (lost, " ");
      jsontext_append_printf (warnings,
                              "uid %u will not hold %s after execve: a non-root process keeps "
                              "only what ambient carries (add it to inheritable and ambient, "
                              "kubernetes#56374)",
                              facts->uid, names);
    }
  else if (root && gained)
    {
      cleanup_free char *names = capset_to_string (gained, " ");
      jsontext_append_printf (warnings,
                              "root will hold %s after execve although the config's permitted set "
                              "lacks it: root gets its whole bounding set, so only bounding "
                              "limits it",
                              names);
    }
  /* capabilities(7): with CAP_SETPCAP the process may fill inheritable up
     to bounding, then ambient, after it starts.  */
  if (capset_has (d->final[CAPSET_EFFECTIVE], CAP_SETPCAP)
      && (capset_subtract (d->final[CAPSET_BOUNDING], d->final[CAPSET_INHERITABLE])
          || capset_subtract (d->final[CAPSET_BOUNDING], d->final[CAPSET_AMBIENT])))
    jsontext_append_printf (warnings,
                            "the process holds CAP_SETPCAP: after it starts it can raise its "
                            "inheritable set up to its bounding set and then its ambient set, "
                            "beyond the inheritable and ambient ceilings (not beyond allow)");
  return warnings;
}

/* Where POLICY sets KEY for RULE, as a JSON string, or null.  */
static json_t *
located (const struct policy *policy, const struct policy_rule *rule, const char *key)
{
  cleanup_free char *at = policy_locate_setting (policy, rule, key);
  return jsontext_string_or_null (at);
}

static json_t *
identity_object (const struct oci_facts *facts)
{
  json_t *id = json_object ();
  int k;

  json_object_set_new (id, "engine", json_string (facts->engine));
  for (k = 0; k < FIELD_KUBERNETES_COUNT; k++)
    json_object_set_new (id, field_name (k), jsontext_string_or_null (facts->fields[k]));
  json_object_set_new (id, "command", jsontext_string_or_null (facts->command));
  json_object_set_new (id, "uid", json_integer (facts->has_uid ? facts->uid : 0));
  return id;
}

static json_t *
sets_object (const struct policy *policy, const struct oci_facts *facts, const struct decision *d)
{
  json_t *sets = json_object ();
  int k;

  for (k = 0; k < CAPSET_COUNT; k++)
    {
      json_t *s = json_object ();
      json_object_set_new (s, "configured", jsontext_cap_names (facts->sets[k]));
      json_object_set_new (s, "kept",
                           jsontext_cap_names (capset_subtract (facts->sets[k], d->removed[k])));
      json_object_set_new (s, "removed", jsontext_cap_names (d->removed[k]));
      if (facts->unknown[k])
        json_object_set (s, "unknown", facts->unknown[k]);
      json_object_set_new (s, "ceiling", json_string (enforce_ceiling_key (k)));
      json_object_set_new (s, "ceiling_at", located (policy, d->rule, enforce_ceiling_key (k)));
      json_object_set_new (sets, capset_kind_name (k), s);
    }
  return sets;
}

/* The whole explanation, once: `--json` prints it, the text is rendered
   from it.  */
static json_t *
build_report (const struct policy *policy, const char *display, const struct oci_facts *facts,
              const struct decision *d, const uint64_t after[CAPSET_COUNT], json_t *warnings)
{
  json_t *report = json_object (), *execve = json_object (), *met = json_array ();
  const char *why = seccomp_profile_opens_userns (
      facts->seccomp == OCI_SECCOMP_CONFINED ? facts->seccomp_profile : NULL, NULL);
  unsigned bit;
  int k;

  json_object_set_new (report, "config", json_string (display));
  json_object_set_new (report, "policy", json_string (policy->source));
  json_object_set_new (report, "rule", json_string (d->rule ? d->rule->name : "default"));
  json_object_set_new (report, "rule_at",
                       d->rule ? located (policy, d->rule, "name") : json_null ());
  json_object_set_new (report, "action", json_string (policy_action_name (d->settings.action)));
  json_object_set_new (report, "decision", json_string (enforce_outcome_name (d->outcome)));
  json_object_set_new (report, "identity", identity_object (facts));
  json_object_set_new (report, "sets", sets_object (policy, facts, d));
  json_object_set_new (report, "noNewPrivileges",
                       json_pack ("{s:o, s:b}", "configured",
                                  facts->no_new_privileges < 0
                                      ? json_null ()
                                      : json_boolean (facts->no_new_privileges),
                                  "set", d->set_nnp));
  json_object_set_new (report, "seccomp",
                       json_pack ("{s:s, s:b}", "configured",
                                  facts->seccomp == OCI_SECCOMP_NONE         ? "none"
                                  : facts->seccomp == OCI_SECCOMP_UNCONFINED ? "unconfined"
                                                                             : "confined",
                                  "baseline_added", d->set_seccomp));
  json_object_set_new (report, "ping_group_range",
                       d->set_ping ? json_string (ENFORCE_PING_GROUP_RANGE) : json_null ());
  for (bit = 1; bit <= OCI_PRIVILEGED_SIGNS; bit <<= 1)
    if (facts->privileged & bit)
      json_array_append_new (met, json_string (oci_privileged_criterion (bit)));
  json_object_set_new (
      report, "privileged",
      json_pack ("{s:b, s:o}", "privileged", facts->privileged != 0, "criteria_met", met));
  json_object_set_new (
      report, "user_namespaces",
      json_pack ("{s:s?, s:b}", "allowed_because", why, "denied_by_rewrite", d->set_userns));
  json_object_set (report, "reasons", d->reasons);
  json_object_set_new (execve, "uid", json_integer (facts->has_uid ? facts->uid : 0));
  for (k = 0; k < CAPSET_COUNT; k++)
    json_object_set_new (execve, capset_kind_name (k), jsontext_cap_names (after[k]));
  json_object_set_new (report, "after_execve", execve);
  json_object_set_new (report, "warnings", warnings);
  return report;
}

/* R's string member KEY, or DEFAULT.  */
static const char *
str (const json_t *r, const char *key, const char *def)
{
  const char *v = json_string_value (json_object_get (r, key));
  return v ? v : def;
}

/* A JSON array of strings, space-separated; caller frees.  */
static char *
joined (const json_t *arr)
{
  char *out = NULL;
  json_t *v;
  size_t i;

  json_array_foreach (arr, i, v)
    util_append (&out, " ", "%s", json_string_value (v));
  return out ? out : xstrdup ("");
}

static void
render_list (FILE *out, const char *title, const json_t *items)
{
  json_t *w;
  size_t i;

  if (json_array_size (items) == 0)
    return;
  fprintf (out, "\n%s\n", title);
  json_array_foreach (items, i, w)
    print_wrapped_text (out, "  - ", 4, json_string_value (w), NULL);
}

static void
render_sets (FILE *out, const json_t *sets)
{
  int k;

  for (k = 0; k < CAPSET_COUNT; k++)
    {
      const json_t *s = json_object_get (sets, capset_kind_name (k));
      const json_t *unknown_names = json_object_get (s, "unknown");
      cleanup_free char *kept = joined (json_object_get (s, "kept"));
      cleanup_free char *removed = joined (json_object_get (s, "removed"));
      cleanup_free char *unknown = unknown_names ? oci_names_text (unknown_names) : NULL;
      cleanup_free char *why = NULL;
      const char *at = str (s, "ceiling_at", NULL);

      fprintf (out, "\n%s\n", capset_kind_name (k));
      print_wrapped (out, "kept", kept, NULL);
      if (!*removed && !unknown)
        continue;
      /* The capabilities, then the names that are none.  */
      if (unknown)
        util_append (&removed, " ", "%s", unknown);
      xasprintf (&why, "(%s%s%s)", str (s, "ceiling", ""), at ? " at " : "", at ? at : "");
      print_wrapped (out, "removed", removed, why);
    }
}

static void
render_settings (FILE *out, const json_t *report)
{
  const json_t *nnp = json_object_get (report, "noNewPrivileges");
  const json_t *seccomp = json_object_get (report, "seccomp");
  const json_t *userns = json_object_get (report, "user_namespaces");
  const json_t *priv = json_object_get (report, "privileged");
  const char *configured = str (seccomp, "configured", "none");
  const char *why = str (userns, "allowed_because", NULL);
  json_t *c;
  size_t i;

  fprintf (out, "\nnoNewPrivileges  %s\n",
           json_is_true (json_object_get (nnp, "set"))          ? "set by capguard"
           : json_is_true (json_object_get (nnp, "configured")) ? "set in the config"
                                                                : "not set");
  fprintf (out, "seccomp          %s\n",
           json_is_true (json_object_get (seccomp, "baseline_added"))
               ? "node baseline added (unconfined before)"
           : strcmp (configured, "confined") == 0 ? "the config's profile"
                                                  : configured);
  if (json_is_string (json_object_get (report, "ping_group_range")))
    fprintf (out, "sysctl           net.ipv4.ping_group_range = %s\n",
             str (report, "ping_group_range", ""));
  if (json_is_true (json_object_get (userns, "denied_by_rewrite")))
    fprintf (out, "user namespaces  denied by capguard (the profile allowed them: %s)\n", why);
  else
    fprintf (out, "user namespaces  %s%s%s\n", why ? "allowed (" : "denied by the profile",
             why ? why : "", why ? ")" : "");
  fprintf (out, "privileged       %s",
           json_is_true (json_object_get (priv, "privileged")) ? "yes" : "no");
  json_array_foreach (json_object_get (priv, "criteria_met"), i, c)
    fprintf (out, "%s%s", i == 0 ? ": " : ", ", json_string_value (c));
  fputc ('\n', out);
}

/* The report, in words.  */
static void
render_text (FILE *out, const json_t *report)
{
  const json_t *id = json_object_get (report, "identity");
  const json_t *execve = json_object_get (report, "after_execve");
  const char *rule_at = str (report, "rule_at", NULL);
  bool matched = json_is_string (json_object_get (report, "rule_at"))
                 || strcmp (str (report, "rule", "default"), "default") != 0;
  int k;

  fprintf (out, "config    %s\n", str (report, "config", ""));
  fprintf (out, "policy    %s\n", str (report, "policy", ""));
  fprintf (out, "rule      %s%s%s%s\n",
           matched ? str (report, "rule", "") : "default (no rule matched)", rule_at ? " (" : "",
           rule_at ? rule_at : "", rule_at ? ")" : "");
  fprintf (out, "who       engine %s, namespace %s, pod %s, container %s\n", str (id, "engine", ""),
           str (id, "namespace", "-"), str (id, "pod", "-"), str (id, "container", "-"));
  fprintf (out, "decision  %s (action %s)\n", str (report, "decision", ""),
           str (report, "action", ""));
  render_sets (out, json_object_get (report, "sets"));
  render_settings (out, report);
  render_list (out, "why", json_object_get (report, "reasons"));
  fprintf (out, "\nafter execve, as uid %lld (what the process will really hold)\n",
           (long long)json_integer_value (json_object_get (execve, "uid")));
  for (k = 0; k < CAPSET_COUNT; k++)
    {
      cleanup_free char *names = joined (json_object_get (execve, capset_kind_name (k)));
      print_wrapped (out, capset_kind_name (k), names, NULL);
    }
  render_list (out, "warnings", json_object_get (report, "warnings"));
}

/* The annotations given on the command line (KEY=VALUE), as an object.  */
static json_t *
annotations_object (char *const *annotations, size_t n, struct error **err)
{
  json_auto_t *added = json_object ();
  size_t i;

  for (i = 0; i < n; i++)
    {
      const char *eq = strchr (annotations[i], '=');
      cleanup_free char *key = NULL;
      if (eq == NULL || eq == annotations[i])
        return make_error (err, 0, "--annotation `%s`: expected KEY=VALUE", annotations[i]), NULL;
      key = xstrndup (annotations[i], eq - annotations[i]);
      json_object_set_new (added, key, json_string (eq + 1));
    }
  return steal_pointer (&added);
}

/* explain --diff: the same decision, applied to a copy of CONFIG.  */
static int
print_config_diff (FILE *out, const struct policy *policy, const struct decision *d, json_t *config,
                   const char *display, struct error **err)
{
  json_auto_t *edited = json_deep_copy (config);
  cleanup_free char *before = json_dumps (config, JSON_INDENT (2)), *after = NULL;

  if (d->outcome == ENFORCE_REWRITTEN && enforce_apply (policy, d, edited, err) < 0)
    return -1;
  after = json_dumps (edited, JSON_INDENT (2));
  fputc ('\n', out);
  if (strcmp (before, after) == 0)
    {
      fprintf (out, "(no change to %s)\n", display);
      return 0;
    }
  return diff_unified (out, display, before, after, err);
}

int
mode_explain (const struct policy *policy, const char *path, char *const *annotations,
              size_t n_annotations, bool json, bool diff, FILE *out, struct error **err)
{
  cleanup_free char *buf = NULL, *display = NULL;
  struct oci_facts facts = { 0 };
  struct decision d = { 0 };
  json_auto_t *config = NULL, *merged = NULL, *added = NULL, *report = NULL;
  uint64_t before_exec[CAPSET_COUNT], after_exec[CAPSET_COUNT];
  bool root;
  size_t len;
  int ret = -1;

  if ((added = annotations_object (annotations, n_annotations, err)) == NULL)
    return COMMAND_USAGE;
  if ((buf = read_input (path, &display, &len, err)) == NULL
      || (config = oci_config_parse (buf, len, display, err)) == NULL)
    return -1;
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
  capset_after_execve (before_exec, root, facts.no_new_privileges == 1 || d.set_nnp, after_exec);
  report = build_report (policy, display, &facts, &d, after_exec,
                         execve_warnings (&facts, &d, before_exec, after_exec, root));
  if (json)
    {
      cleanup_free char *text = json_dumps (report, JSON_INDENT (2));
      fprintf (out, "%s\n", text);
    }
  else
    render_text (out, report);
  if (diff && print_config_diff (out, policy, &d, config, display, err) < 0)
    goto done;
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
