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
    if (f.unknown[k])
      abort ();
  if (!capset_is_subset (
          f.sets[CAPSET_BOUNDING] | f.sets[CAPSET_EFFECTIVE] | f.sets[CAPSET_PERMITTED],
          policy->defaults.allow | (policy->n_rules ? capset_all (policy->last_cap) : 0)))
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
      /* The built-in policy without its audit rule, so every decision is
         a real rewrite or refusal.  */
      const char *text = "{\"version\":1,\"capabilities\":{\"allow\":[\"CHOWN\",\"KILL\","
                         "\"NET_BIND_SERVICE\"],\"deny\":[\"SYS_ADMIN\"]},\"noNewPrivileges\":true,"
                         "\"seccomp\":\"baseline\",\"pingGroupRange\":\"auto\"}";
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
