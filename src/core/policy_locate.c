/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a setting stands in the policy's text, for explain.  */
#include <string.h>

#include "jsontext.h"
#include "policy.h"
#include "util.h"

char *
policy_locate_setting (const struct policy *policy, const struct policy_rule *rule, const char *key)
{
  cleanup_free char *copy = xstrdup (key);
  struct jsontext_step path[6];
  char *dot = strchr (copy, '.'), *out = NULL;
  size_t depth = 0, base = 0;
  long off = -1;
  int line, col;

  if (rule)
    {
      path[depth++] = (struct jsontext_step){ .key = "rules" };
      path[depth++] = (struct jsontext_step){ .index = (size_t)(rule - policy->rules) };
      base = depth;
    }
  if (dot)
    *dot = '\0';
  path[depth++] = (struct jsontext_step){ .key = copy };
  if (dot)
    path[depth++] = (struct jsontext_step){ .key = dot + 1 };
  off = jsontext_locate (policy->text, policy->text_len, path, depth, true);
  /* `capabilities.add` extends the inherited allow: it is where a rule's
     ceiling is set too.  */
  if (off < 0 && rule && dot && strcmp (dot + 1, "allow") == 0)
    {
      path[depth - 1].key = "add";
      off = jsontext_locate (policy->text, policy->text_len, path, depth, true);
    }
  if (off < 0 && rule)
    {
      /* Inherited from the top level.  */
      memmove (path, path + base, sizeof path[0] * (depth - base));
      path[depth - base - 1].key = dot ? dot + 1 : copy;
      off = jsontext_locate (policy->text, policy->text_len, path, depth - base, true);
    }
  if (off < 0)
    return NULL;
  jsontext_line_col (policy->text, off, &line, &col);
  xasprintf (&out, "%s:%d:%d", policy->source, line, col);
  return out;
}
