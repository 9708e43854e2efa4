/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy's settings, one row each: the one table that the parser, the
   compiled cache's codec, `check`, `status` and the documentation test read.
   A new key is a row here, its field and enum in policy.h, and its
   semantics in enforce.c.  */
#ifndef CAPGUARD_POLICY_SETTINGS_H
#define CAPGUARD_POLICY_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

enum policy_setting_kind
{
  SETTING_WORD, /* a string naming one of NAMES; an enum field */
  SETTING_FLAG, /* true or false; a bool field (NAMES: "false", "true") */
  SETTING_SET,  /* a capability list under `capabilities`; a uint64_t field */
};

struct policy_setting
{
  const char *key; /* as written in the policy: "seccomp", "capabilities.deny" */
  enum policy_setting_kind kind;
  size_t offset;            /* of its field in struct policy_settings */
  const char *const *names; /* WORD and FLAG: the values, by their number */
  size_t n_names;
  const char *label;        /* check's column */
  const char *const *shown; /* WORD and FLAG: check's text per value; NULL entry: not
                               shown; one ending in ':' is followed by the seccomp
                               profile's source */
  bool on_status;           /* status shows the top level's value */
};

extern const struct policy_setting policy_settings_table[];
extern const size_t policy_settings_count;

/* The row of KEY, or NULL.  */
const struct policy_setting *policy_setting_find (const char *key);

/* A WORD or FLAG row's value in S, as its number.  */
unsigned policy_setting_value (const struct policy_setting *row, const struct policy_settings *s);
void policy_setting_store (const struct policy_setting *row, struct policy_settings *s,
                           unsigned value);

/* A SET row's field in S.  */
uint64_t *policy_setting_set (const struct policy_setting *row, struct policy_settings *s);
uint64_t policy_setting_set_value (const struct policy_setting *row,
                                   const struct policy_settings *s);

/* A WORD or FLAG row's value in S, by its name.  */
const char *policy_setting_name (const struct policy_setting *row, const struct policy_settings *s);

#endif
