/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table of the policy's settings (policy_settings.h).  */
#include <string.h>

#include "policy_settings.h"

/* clang-format off */
#define NAMES(...) (const char *const[]){ __VA_ARGS__ }, \
                   sizeof (const char *const[]){ __VA_ARGS__ } / sizeof (const char *)
#define SHOWN(...) (const char *const[]){ __VA_ARGS__ }
/* clang-format on */
#define FIELD(f) offsetof (struct policy_settings, f)

/* In the order check prints them and the compiled cache stores them (the
   binary's identity in the cache's key retires entries of another table).
   Each WORD's NAMES are indexed by its enum (policy.h); its first is the
   default, what a zeroed struct policy_settings holds.  */
const struct policy_setting policy_settings_table[] = {
  { "action", SETTING_WORD, FIELD (action), NAMES ("rewrite", "enforce", "audit"), "action",
    SHOWN ("rewrite", "enforce", "audit"), true },
  { "capabilities.allow", SETTING_SET, FIELD (allow), NULL, 0, "allow", NULL, false },
  { "capabilities.deny", SETTING_SET, FIELD (deny), NULL, 0, "deny", NULL, false },
  { "capabilities.inheritable", SETTING_SET, FIELD (inheritable), NULL, 0, "inheritable", NULL,
    false },
  { "capabilities.ambient", SETTING_SET, FIELD (ambient), NULL, 0, "ambient", NULL, false },
  { "noNewPrivileges", SETTING_FLAG, FIELD (no_new_privileges), NAMES ("false", "true"),
    "noNewPrivs", SHOWN ("leave as is", "set"), false },
  { "seccomp", SETTING_WORD, FIELD (seccomp), NAMES ("keep", "require", "baseline"), "seccomp",
    SHOWN ("keep", "require", "baseline for unconfined containers:"), false },
  { "pingGroupRange", SETTING_WORD, FIELD (ping_group_range), NAMES ("keep", "auto"), "pingGroup",
    SHOWN ("keep", "auto (" POLICY_PING_GROUP_RANGE " when CAP_NET_RAW is gone)"), false },
  { "privileged", SETTING_WORD, FIELD (privileged), NAMES ("keep", "refuse"), "privileged",
    SHOWN (NULL, "refuse"), true },
  { "userNamespaces", SETTING_WORD, FIELD (user_namespaces), NAMES ("keep", "deny"), "userNs",
    SHOWN (NULL, "deny"), true },
};
const size_t policy_settings_count = sizeof policy_settings_table / sizeof policy_settings_table[0];

/* The enums' last values, tied to the names above.  */
_Static_assert(POLICY_AUDIT == 2 && POLICY_SECCOMP_BASELINE == 2 && POLICY_PING_AUTO == 1
                   && POLICY_PRIVILEGED_REFUSE == 1 && POLICY_USERNS_DENY == 1,
               "policy_settings_table's names follow policy.h's enums");
_Static_assert(sizeof (enum policy_action) == sizeof (unsigned)
                   && sizeof (enum policy_seccomp) == sizeof (unsigned)
                   && sizeof (enum policy_ping) == sizeof (unsigned)
                   && sizeof (enum policy_privileged) == sizeof (unsigned)
                   && sizeof (enum policy_userns) == sizeof (unsigned),
               "a WORD's field is read and stored as an unsigned");

const struct policy_setting *
policy_setting_find (const char *key)
{
  size_t i;

  for (i = 0; i < policy_settings_count; i++)
    if (strcmp (policy_settings_table[i].key, key) == 0)
      return &policy_settings_table[i];
  return NULL;
}

unsigned
policy_setting_value (const struct policy_setting *row, const struct policy_settings *s)
{
  const char *field = (const char *)s + row->offset;
  unsigned v;
  bool b;

  if (row->kind == SETTING_FLAG)
    {
      memcpy (&b, field, sizeof b);
      return b;
    }
  memcpy (&v, field, sizeof v);
  return v;
}

void
policy_setting_store (const struct policy_setting *row, struct policy_settings *s, unsigned value)
{
  char *field = (char *)s + row->offset;
  bool b = value != 0;

  if (row->kind == SETTING_FLAG)
    memcpy (field, &b, sizeof b);
  else
    memcpy (field, &value, sizeof value);
}

uint64_t *
policy_setting_set (const struct policy_setting *row, struct policy_settings *s)
{
  return (uint64_t *)((char *)s + row->offset);
}

uint64_t
policy_setting_set_value (const struct policy_setting *row, const struct policy_settings *s)
{
  uint64_t v;

  memcpy (&v, (const char *)s + row->offset, sizeof v);
  return v;
}

const char *
policy_setting_name (const struct policy_setting *row, const struct policy_settings *s)
{
  unsigned v = policy_setting_value (row, s);

  return v < row->n_names ? row->names[v] : "?";
}
