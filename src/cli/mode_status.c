/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "command.h"
#include "engine.h"
#include "modes.h"
#include "policy_settings.h"
#include "util.h"

/* capguard status: is this node protected?  For each engine found under
   the root, every path that starts a process in a container, and whether
   capguard stands in it: a `covered` path, a `gap` (with what closes it),
   or a `residual` path that no registration can close and only root on
   the node can take (ctr without --runc-binary, `docker run --runtime
   runc`).  It reads files and runs capguard binaries it finds (`version`)
   and `containerd config dump`; it changes nothing.  */

/* The top level's settings that status shows (policy_settings_table).  */
static json_t *
top_level (const struct policy *policy)
{
  json_t *t = json_object ();
  size_t i;

  for (i = 0; i < policy_settings_count; i++)
    if (policy_settings_table[i].on_status)
      json_object_set_new (
          t, policy_settings_table[i].key,
          json_string (policy_setting_name (&policy_settings_table[i], &policy->defaults)));
  return t;
}

/* TOP, as "top level    action rewrite, privileged keep, ...".  */
static void
print_top_level (FILE *out, const json_t *top)
{
  const char *key;
  const json_t *v;
  const char *sep = "";

  fprintf (out, "top level    ");
  json_object_foreach ((json_t *)top, key, v)
    {
      fprintf (out, "%s%s %s", sep, key, json_string_value (v));
      sep = ", ";
    }
  fputc ('\n', out);
}

/* The policy in force: its file, owner and mode, whether it loads, and
   check's warning count.  */
static json_t *
policy_status (const struct policy *policy, const char *path, const char *load_error)
{
  json_t *p = json_object ();
  struct stat sb;

  json_object_set_new (p, "file", json_string (policy ? policy->source : path));
  if (policy && strcmp (policy->source, "<built-in>") != 0 && stat (policy->source, &sb) == 0)
    {
      char mode[8];
      snprintf (mode, sizeof mode, "%04o", (unsigned)(sb.st_mode & 07777));
      json_object_set_new (p, "owner", json_integer (sb.st_uid));
      json_object_set_new (p, "mode", json_string (mode));
    }
  json_object_set_new (p, "valid", json_boolean (policy != NULL));
  json_object_set_new (p, "error", load_error ? json_string (load_error) : json_null ());
  if (policy)
    {
      char *text = NULL;
      size_t size = 0;
      FILE *mem = open_memstream (&text, &size);
      int warnings = mem ? mode_check_warnings (policy, mem) : 0;
      if (mem)
        fclose (mem);
      free (text);
      json_object_set_new (p, "rules", json_integer ((json_int_t)policy->n_rules));
      json_object_set_new (p, "warnings", json_integer (warnings));
      json_object_set_new (
          p, "log",
          json_pack ("{s:b, s:s?}", "syslog", policy->log_syslog, "file", policy->log_file));
      json_object_set_new (p, "top_level", top_level (policy));
    }
  return p;
}

/* Every engine asked for (ONLY, else every engine found), judged.  */
static int
engines_status (const struct engine_node *base, const char *const *configs, unsigned only,
                json_t *engines_out, struct error **err)
{
  size_t i;

  for (i = 0; engines[i]; i++)
    {
      const struct engine_ops *e = engines[i];
      struct engine_node node = *base;
      cleanup_files struct files *f = files_new (base->root);
      cleanup_free char *source = NULL;
      json_t *paths;

      node.config = configs[i];
      /* An engine asked for that is not there is not listed: status
         then says nothing is covered.  */
      if ((only && !(only & (1u << i))) || !e->found (&node, f))
        continue;
      paths = json_array ();
      if (engine_status (e, &node, paths, &source, err) < 0)
        {
          json_decref (paths);
          return error_wrap (err, "%s", e->name);
        }
      json_array_append_new (engines_out, json_pack ("{s:s, s:s, s:o}", "engine", e->name, "config",
                                                     source ? source : e->name, "paths", paths));
    }
  return 0;
}

/* The status as text: the policy in force, then each engine's paths.  */
static void
print_text (FILE *out, json_t *report, const struct policy *policy, const char *policy_path,
            const char *load_error, const char *root)
{
  json_t *engines_out = json_object_get (report, "engines"), *e, *p, *pol;
  json_int_t gaps = json_integer_value (json_object_get (report, "gaps"));
  size_t i, j;

  pol = json_object_get (report, "policy");
  if (policy)
    fprintf (out, "policy       %s (%s%s%s), %zu rule%s, %d warning%s (capguard check)\n",
             strcmp (policy->source, "<built-in>") == 0 ? "the built-in policy" : policy->source,
             json_object_get (pol, "mode") ? "mode " : "nothing at /etc/capguard/policy.json",
             json_object_get (pol, "mode") ? json_string_value (json_object_get (pol, "mode")) : "",
             json_object_get (pol, "owner")
                     && json_integer_value (json_object_get (pol, "owner")) == 0
                 ? ", owner root"
                 : "",
             policy->n_rules, policy->n_rules == 1 ? "" : "s",
             (int)json_integer_value (json_object_get (pol, "warnings")),
             json_integer_value (json_object_get (pol, "warnings")) == 1 ? "" : "s");
  else
    fprintf (out, "policy       %s: INVALID: %s\n  fix: capguard check %s\n",
             policy_path ? policy_path : "/etc/capguard/policy.json", load_error,
             policy_path ? policy_path : "/etc/capguard/policy.json");
  if (policy)
    print_top_level (out, json_object_get (pol, "top_level"));
  if (policy)
    fprintf (out, "decisions    %s%s%s\n", policy->log_syslog ? "syslog" : "no syslog",
             policy->log_file ? ", " : "", policy->log_file ? policy->log_file : "");
  if (json_array_size (engines_out) == 0)
    fprintf (out, "\nno engine found under %s\n", root[0] ? root : "/");
  json_array_foreach (engines_out, i, e)
    {
      fprintf (out, "\n%s (%s)\n", json_string_value (json_object_get (e, "engine")),
               json_string_value (json_object_get (e, "config")));
      json_array_foreach (json_object_get (e, "paths"), j, p)
        {
          const char *state = json_string_value (json_object_get (p, "state"));
          const char *fix = json_string_value (json_object_get (p, "fix"));
          fprintf (out, "  %-9s %s: %s\n", strcmp (state, "gap") == 0 ? "GAP" : state,
                   json_string_value (json_object_get (p, "path")),
                   json_string_value (json_object_get (p, "detail")));
          if (fix && strcmp (state, "gap") == 0)
            fprintf (out, "            fix: %s\n", fix);
        }
    }
  fprintf (out, "\n%s\n",
           gaps                                 ? "NOT PROTECTED: close the gaps above"
           : json_array_size (engines_out) == 0 ? "nothing to protect found"
                                                : "protected: every path is covered");
}

int
mode_status (const struct policy *policy, const char *policy_path, const char *load_error,
             const char *root, const char *const *configs, unsigned only, bool ready, bool json,
             FILE *out, struct error **err)
{
  struct engine_node node = { .root = root, .policy = policy, .use_engine = true };
  json_auto_t *report = NULL;
  json_t *engines_out = json_array (), *e, *p;
  int gaps = 0, closable = 0;
  size_t i, j;

  report = json_pack ("{s:s, s:o, s:o}", "root", root[0] ? root : "/", "policy",
                      policy_status (policy, policy_path, load_error), "engines", engines_out);
  if (engines_status (&node, configs, only, engines_out, err) < 0)
    return -1;
  json_array_foreach (engines_out, i, e)
    json_array_foreach (json_object_get (e, "paths"), j, p)
      if (strcmp (json_string_value (json_object_get (p, "state")), "gap") == 0)
        {
          gaps++;
          closable += json_is_true (json_object_get (p, "closable"));
        }
  /* A policy that does not load fails every container start closed.  */
  if (policy == NULL)
    gaps++, closable++;
  json_object_set_new (report, "gaps", json_integer (gaps));
  /* What capguard's own registration, a restart and the policy can do is
     done: a DaemonSet's readiness (`--ready`), even on a node with a way in
     only its operator can remove.  */
  json_object_set_new (report, "ready",
                       json_boolean (closable == 0 && json_array_size (engines_out) > 0));
  json_object_set_new (report, "covered",
                       json_boolean (gaps == 0 && json_array_size (engines_out) > 0));
  if (json)
    {
      cleanup_free char *text = json_dumps (report, JSON_INDENT (2));
      fprintf (out, "%s\n", text);
    }
  else
    print_text (out, report, policy, policy_path, load_error, root);
  if (json_array_size (engines_out) == 0)
    return 1;
  return (ready ? closable : gaps) == 0 ? 0 : 1;
}

int
command_status (struct command_ctx *ctx, struct error **err)
{
  static const struct option options[] = {
    { "root", required_argument, NULL, 'r' },
    { "json", no_argument, NULL, 'j' },
    { "config", required_argument, NULL, 'c' },
    { "ready", no_argument, NULL, 'R' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error struct error *load_err = NULL;
  cleanup_free char *root = NULL;
  const char *configs[16] = { NULL };
  const char *root_arg = NULL;
  const struct engine_ops *e;
  struct policy *policy;
  unsigned only = 0;
  bool json = false, ready = false;
  size_t i;
  int c, r;

  while ((c = command_getopt (ctx, options, err)) != -1)
    switch (c)
      {
      case 'r':
        root_arg = optarg;
        break;
      case 'j':
        json = true;
        break;
      case 'R':
        ready = true;
        break;
      case 'c':
        {
          /* --config ENGINE=FILE: the engine's file where it is not the
             default one (k3s, RKE2, a second containerd), as install
             --config wrote it.  */
          const char *eq = strchr (optarg, '=');
          cleanup_free char *name = eq ? xstrndup (optarg, eq - optarg) : NULL;
          for (i = 0; name && engines[i]; i++)
            if (strcmp (engines[i]->name, name) == 0 && engines[i]->takes_config && eq[1] == '/')
              break;
          if (name == NULL || engines[i] == NULL)
            return command_usage (err,
                                  "status --config `%s`: want containerd=FILE or docker=FILE, "
                                  "FILE an absolute path",
                                  optarg);
          configs[i] = eq + 1;
        }
        break;
      default:
        return COMMAND_USAGE;
      }
  if (root_arg && root_arg[0] != '/')
    return command_usage (err, "status --root `%s` is not an absolute path", root_arg);
  if ((r = command_root (root_arg, &root, err)) < 0)
    return r;
  /* status ENGINE...: only those engines (a DaemonSet's readiness probe
     asks about the engine it registered, not a podman someone installed
     for debugging).  */
  for (; optind < ctx->argc; optind++)
    {
      if ((e = engines_by_name (ctx->argv[optind])) == NULL)
        return command_usage (err, "status: unknown engine `%s` (" ENGINES_NAMES_TEXT ")",
                              ctx->argv[optind]);
      for (i = 0; engines[i] != e; i++)
        ;
      only |= 1u << i;
    }
  /* A policy that does not load is part of the answer, not an error.  */
  policy = command_keep_policy (policy_load (ctx->policy_path, util_cap_last_cap (), 0, &load_err));
  return mode_status (policy, ctx->policy_path, load_err ? load_err->msg : NULL, root, configs,
                      only, ready, json, stdout, err);
}
