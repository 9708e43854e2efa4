/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rewrite path on arbitrary bytes, with the invariant that matters:
   whatever capguard lets through, read back the way runc reads it, never
   holds a capability beyond the policy.  */
#include <stdlib.h>
#include <string.h>

#include "enforce.h"
#include "oci.h"
#include "util.h"

static struct policy *policy;

static void
check_output (const char *out)
{
  cleanup_error struct error *err = NULL;
  json_auto_t *doc = oci_config_parse (out, strlen (out), "out", &err);
  struct oci_facts f;
  int k;

  /* capguard's own output must parse, strictly, and conform.  */
  if (doc == NULL || oci_config_facts (doc, policy->last_cap, &f, &err) < 0)
    abort ();
  for (k = 0; k < CAPSET_COUNT; k++)
    {
      uint64_t ceiling = k == CAPSET_INHERITABLE ? policy->defaults.inheritable
                         : k == CAPSET_AMBIENT   ? policy->defaults.ambient
                                                 : policy->defaults.allow;
      /* Every set within its ceiling, nothing denied, no unknown name.  */
      if (f.unknown[k] || !capset_is_subset (f.sets[k], ceiling)
          || capset_intersect (f.sets[k], policy->defaults.deny))
        abort ();
    }
  /* And the policy's other demands: no_new_privs, a seccomp profile.  */
  if (f.no_new_privileges != 1 || f.seccomp != OCI_SECCOMP_CONFINED)
    abort ();
  oci_facts_release (&f);
}

int LLVMFuzzerTestOneInput (const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput (const unsigned char *data, size_t size)
{
  cleanup_error struct error *err = NULL;
  cleanup_free char *out = NULL;
  size_t out_len = 0;
  struct oci_facts facts = { 0 };
  struct decision d = { 0 };
  json_auto_t *config = NULL;

  if (policy == NULL)
    {
      /* No rule, so every decision is a real rewrite or refusal; a deny
         inside allow, and inheritable and ambient ceilings of their own.  */
      const char *text = "{\"version\":1,\"capabilities\":{\"allow\":[\"CHOWN\",\"KILL\","
                         "\"NET_BIND_SERVICE\",\"SYS_ADMIN\"],\"deny\":[\"SYS_ADMIN\"],"
                         "\"inheritable\":[\"KILL\",\"CHOWN\"],\"ambient\":[\"KILL\"]},"
                         "\"noNewPrivileges\":true,\"seccomp\":\"baseline\","
                         "\"pingGroupRange\":\"auto\"}";
      policy = policy_parse (text, strlen (text), "fuzz", 40, 0, &err);
      if (policy == NULL)
        abort ();
    }
  config = oci_config_parse ((const char *)data, size, "in", &err);
  if (config == NULL)
    return 0;
  if (enforce_rewrite_text (policy, (const char *)data, size, config, &facts, &d, &out, &out_len,
                            &err)
      == 0)
    {
      if (d.outcome == ENFORCE_REWRITTEN)
        {
          /* The spliced or serialised output is one whole document.  */
          if (strlen (out) != out_len)
            abort ();
          check_output (out);
        }
      else if (d.outcome == ENFORCE_ALLOWED)
        {
          /* Passed through unchanged: so the input itself must conform.  */
          cleanup_free char *copy = xstrndup ((const char *)data, size);
          if (strlen (copy) == size)
            check_output (copy);
        }
    }
  decision_release (&d);
  oci_facts_release (&facts);
  return 0;
}
