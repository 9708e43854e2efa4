/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <link.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>

#include <bpf/libbpf.h>
#include <jansson.h>

#include "capset.h"
#include "command.h"
#include "engine.h"
#include "enforce.h"
#include "modes.h"
#include "policy_settings.h"
#include "seccomp_util.h"
#include "util.h"

#ifndef CAPGUARD_VERSION
#define CAPGUARD_VERSION "unknown"
#endif

static void
print_set (FILE *out, const char *label, uint64_t set, int last_cap)
{
  cleanup_free char *names = NULL;

  if (set == capset_all (last_cap))
    names = xstrdup ("ALL");
  else
    names = capset_to_string (set, " ");
  fprintf (out, "  %-12s %s\n", label, *names ? names : "(none)");
}

static void
print_settings (FILE *out, const struct policy_settings *s, int last_cap)
{
  size_t i;

  for (i = 0; i < policy_settings_count; i++)
    {
      const struct policy_setting *row = &policy_settings_table[i];
      const char *shown;

      if (row->kind == SETTING_SET)
        {
          print_set (out, row->label, policy_setting_set_value (row, s), last_cap);
          continue;
        }
      shown = row->shown[policy_setting_value (row, s)];
      if (shown == NULL)
        continue;
      fprintf (out, "  %-12s %s", row->label, shown);
      if (shown[strlen (shown) - 1] == ':')
        fprintf (out, " %s", s->seccomp_profile_source ? s->seccomp_profile_source : "?");
      fputc ('\n', out);
    }
}

/* The capabilities containerd grants by default (its 14), a superset of
   podman's 11 and CRI-O's 9: a ceiling beyond them only matters for
   containers that ask for more.  */
static const char *const engine_defaults[] = { "CAP_CHOWN",
                                               "CAP_DAC_OVERRIDE",
                                               "CAP_FSETID",
                                               "CAP_FOWNER",
                                               "CAP_MKNOD",
                                               "CAP_NET_RAW",
                                               "CAP_SETGID",
                                               "CAP_SETUID",
                                               "CAP_SETFCAP",
                                               "CAP_SETPCAP",
                                               "CAP_NET_BIND_SERVICE",
                                               "CAP_SYS_CHROOT",
                                               "CAP_KILL",
                                               "CAP_AUDIT_WRITE",
                                               NULL };

static int
warn_settings (FILE *out, const char *who, const struct policy_settings *s, int last_cap)
{
  int n = 0;
  uint64_t defaults = 0, both = capset_intersect (s->allow, s->deny), beyond;
  size_t i;

  for (i = 0; engine_defaults[i]; i++)
    {
      int cap = capset_parse_config_name (engine_defaults[i], last_cap);
      if (cap >= 0)
        defaults |= capset_bit (cap);
    }
  if (both)
    {
      cleanup_free char *names = capset_to_string (both, " ");
      fprintf (out, "warning: %s: allow includes %s, which deny refuses (deny wins)\n", who, names);
      n++;
    }
  beyond = capset_subtract (s->allow, defaults);
  if (beyond)
    {
      cleanup_free char *names = beyond == capset_subtract (capset_all (last_cap), defaults)
                                     ? xstrdup ("every capability")
                                     : capset_to_string (beyond, " ");
      fprintf (out,
               "warning: %s: allow includes %s, beyond every engine's defaults: a container "
               "that asks for them keeps them\n",
               who, names);
      n++;
    }
  return n;
}

/* CAP_SETPCAP lets a process raise its inheritable set up to its bounding
   set, and then its ambient set within permitted and inheritable
   (capabilities(7), capset(2)): narrower inheritable and ambient ceilings
   hold when the container starts, not after.  Nothing beyond allow becomes
   reachable, so this is a note, not a warning.  */
static int
note_setpcap (FILE *out, const char *who, const struct policy_settings *s)
{
  uint64_t wider
      = capset_subtract (s->allow, s->inheritable) | capset_subtract (s->allow, s->ambient);

  if (!capset_has (s->allow, CAP_SETPCAP) || capset_has (s->deny, CAP_SETPCAP) || wider == 0)
    return 0;
  fprintf (out,
           "note: %s: allow includes CAP_SETPCAP, so a process can raise its inheritable and "
           "then its ambient set up to what allow gives it after it starts: the inheritable "
           "and ambient ceilings hold at start only\n",
           who);
  return 1;
}

/* Warnings for what is legal but surprising; returns how many.  */
int
mode_check_warnings (const struct policy *policy, FILE *out)
{
  size_t i, j;
  int f, n;

  n = warn_settings (out, "the top level", &policy->defaults, policy->last_cap);
  note_setpcap (out, "the top level", &policy->defaults);
  for (i = 0; i < policy->n_rules; i++)
    {
      const struct policy_rule *r = &policy->rules[i];
      cleanup_free char *who = NULL;
      bool always = r->n_annotations == 0 && !r->has_uid;

      xasprintf (&who, "rule `%s`", r->name);
      n += warn_settings (out, who, &r->settings, policy->last_cap);
      note_setpcap (out, who, &r->settings);
      for (f = 0; f < FIELD_COUNT; f++)
        always = always && !r->has_field[f];
      /* Rules are tried in order: after one that matches everything, no
         later rule is ever reached.  */
      if (always)
        for (j = i + 1; j < policy->n_rules; j++)
          fprintf (out,
                   "warning: rule `%s` can never match: rule `%s` before it matches every "
                   "container\n",
                   policy->rules[j].name, r->name);
      if (always)
        break;
    }
  return n;
}

int
mode_check (const struct policy *policy, FILE *out, struct error **err)
{
  size_t i, j;
  int f;

  (void)err;
  fprintf (out, "%s: valid policy, version 1, %zu rule%s, kernel cap_last_cap %d\n", policy->source,
           policy->n_rules, policy->n_rules == 1 ? "" : "s", policy->last_cap);
  fprintf (out, "log: syslog %s, file %s\n", policy->log_syslog ? "on" : "off",
           policy->log_file ? policy->log_file : "(none)");
  for (i = 0; i < policy->n_rules; i++)
    {
      const struct policy_rule *r = &policy->rules[i];
      int any = 0;

      fprintf (out, "\nrule %zu `%s` when", i + 1, r->name);
      for (f = 0; f < FIELD_COUNT; f++)
        if (r->has_field[f])
          fprintf (out, "%s %s=~/%s/", any++ ? " and" : "", field_name (f), r->field[f].pattern);
      for (j = 0; j < r->n_annotations; j++)
        fprintf (out, "%s annotation %s=~/%s/", any++ ? " and" : "", r->annotations[j].key,
                 r->annotations[j].value.pattern);
      if (r->has_uid)
        fprintf (out, "%s uid=%u", any++ ? " and" : "", r->uid);
      fprintf (out, "%s:\n", any ? "" : " always");
      print_settings (out, &r->settings, policy->last_cap);
    }
  fprintf (out, "\n%s (no rule matched):\n", policy->n_rules ? "otherwise" : "every container");
  print_settings (out, &policy->defaults, policy->last_cap);
  fputc ('\n', out);
  if (!mode_check_warnings (policy, out))
    fprintf (out, "no warnings\n");
  return 0;
}

int
mode_crio_conf (const struct policy *policy, FILE *out, struct error **err)
{
  cleanup_free char *text = engine_crio_defaults (policy);

  (void)err;
  fputs (text, out);
  return 0;
}

static int
find_libcap (struct dl_phdr_info *info, size_t size, void *data)
{
  char **found = data;

  (void)size;
  if (info->dlpi_name && strstr (info->dlpi_name, "/libcap.so"))
    {
      *found = realpath (info->dlpi_name, NULL);
      return 1;
    }
  return 0;
}

int
mode_version (FILE *out, struct error **err)
{
  char seccomp_version[32];
  cleanup_free char *libcap = NULL;
  const char *libcap_version = NULL;

  (void)err;
  /* libcap has no run-time version call; its soname names the release.  */
  dl_iterate_phdr (find_libcap, &libcap);
  if (libcap && strstr (libcap, ".so."))
    libcap_version = strstr (libcap, ".so.") + 4;
  fprintf (out, "capguard %s\n", CAPGUARD_VERSION);
  if (libcap_version)
    fprintf (out, "libcap %s\n", libcap_version);
  else
    fprintf (out, "libcap %d.%d (built with)\n", LIBCAP_MAJOR, LIBCAP_MINOR);
  fprintf (out, "jansson %s\n", jansson_version_str ());
  seccomp_library_version (seccomp_version, sizeof seccomp_version);
  fprintf (out, "libseccomp %s\n", seccomp_version);
  /* "v1.1": without the v, as the others.  */
  fprintf (out, "libbpf %s\n", libbpf_version_string () + (libbpf_version_string ()[0] == 'v'));
  return 0;
}

/* check [POLICY] and crio-conf [POLICY]: the policy as an optional argument.  */
static struct policy *
policy_argument (struct command_ctx *ctx, int *ret, struct error **err)
{
  struct policy *policy;

  if (ctx->argc > 2)
    {
      *ret = command_usage (err, "%s takes at most one policy file, got `%s` too", ctx->name,
                            ctx->argv[2]);
      return NULL;
    }
  policy = command_policy (ctx, ctx->argc > 1 ? ctx->argv[1] : NULL, err);
  *ret = COMMAND_INVALID;
  return policy;
}

int
command_check (struct command_ctx *ctx, struct error **err)
{
  const struct policy *policy;
  int ret;

  if ((policy = policy_argument (ctx, &ret, err)) == NULL)
    return ret;
  return mode_check (policy, stdout, err);
}

int
command_crio_conf (struct command_ctx *ctx, struct error **err)
{
  const struct policy *policy;
  int ret;

  if ((policy = policy_argument (ctx, &ret, err)) == NULL)
    return ret;
  return mode_crio_conf (policy, stdout, err);
}

int
command_version (struct command_ctx *ctx, struct error **err)
{
  if (ctx->argc > 1)
    return command_usage (err, "version takes no arguments, got `%s`", ctx->argv[1]);
  return mode_version (stdout, err);
}
