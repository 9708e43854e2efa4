/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The seccomp profiles a policy names: read, parsed, checked with
   libseccomp, and kept in the policy for the settings that point at them.  */
#include <string.h>

#include "jsontext.h"
#include "policy_internal.h"
#include "seccomp_util.h"
#include "util.h"

/* Parses and checks a seccomp profile (TEXT from SOURCE, which the policy's
   profile_sources already ends with), keeps it in the policy and makes it
   S's profile.  Errors are located in the profile's own text.  */
static int
adopt (struct policy *policy, const char *text, size_t len, const char *source,
       struct policy_settings *s, struct error **err)
{
  struct jsontext_step path[SECCOMP_PATH_MAX];
  cleanup_error struct error *perr = NULL;
  json_t *profile;
  size_t depth;
  bool at_key;

  profile = jsontext_load_object (text, len, source, err);
  if (profile == NULL)
    return -1;
  json_array_append_new (policy->profiles, profile);
  if (seccomp_profile_check (profile, path, &depth, &at_key, &perr) < 0)
    {
      long off = jsontext_locate (text, len, path, depth, at_key);
      int line = 1, col = 1;
      if (off >= 0)
        jsontext_line_col (text, off, &line, &col);
      return make_error (err, 0, "%s:%d:%d: %s", source, line, col, perr->msg);
    }
  s->seccomp_profile = profile;
  s->seccomp_profile_source = json_string_value (
      json_array_get (policy->profile_sources, json_array_size (policy->profiles) - 1));
  return 0;
}

int
policy_profile_file (struct policy *policy, const char *path, struct policy_settings *s,
                     struct error **err)
{
  cleanup_free char *text = NULL;
  size_t len;

  if (util_read_owned_file (path, "seccomp profile", CAPGUARD_MAX_POLICY, &text, &len, err) < 0)
    return -2;
  json_array_append_new (policy->profile_sources, json_string (path));
  return adopt (policy, text, len, path, s, err);
}

int
policy_profile_builtin (struct policy *policy, struct policy_settings *s, struct error **err)
{
  if (policy->builtin_profile)
    {
      s->seccomp_profile = policy->builtin_profile;
      s->seccomp_profile_source = "<built-in baseline>";
      return 0;
    }
  json_array_append_new (policy->profile_sources, json_string ("<built-in baseline>"));
  if (adopt (policy, seccomp_baseline_text, seccomp_baseline_len, "<built-in baseline>", s, err)
      < 0)
    return -1;
  policy->builtin_profile = s->seccomp_profile;
  return 0;
}

int
policy_attach_profile (struct policy *policy, const char *source, struct policy_settings *s,
                       struct error **err)
{
  if (strcmp (source, "<built-in baseline>") == 0)
    return policy_profile_builtin (policy, s, err);
  if (source[0] != '/')
    return make_error (err, 0, "seccomp profile `%s` is not an absolute path", source);
  return policy_profile_file (policy, source, s, err) < 0 ? -1 : 0;
}
