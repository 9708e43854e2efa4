/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy parser and rule matcher on arbitrary bytes: errors, never crashes.  */
#include <string.h>

#include "policy.h"
#include "util.h"

int LLVMFuzzerTestOneInput (const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput (const unsigned char *data, size_t size)
{
  cleanup_error struct error *err = NULL;
  struct policy *p = policy_parse ((const char *)data, size, "fuzz", 40, 0, &err);
  struct policy_subject s = { 0 };
  const char *broken;

  if (p == NULL)
    {
      /* Every error says where.  */
      if (err == NULL || strncmp (err->msg, "fuzz", 4) != 0)
        __builtin_trap ();
      return 0;
    }
  s.fields[FIELD_NAMESPACE] = "kube-system";
  s.fields[FIELD_COMMAND] = "/bin/sh";
  policy_select (p, &s, &broken);
  policy_free (p);
  return 0;
}
