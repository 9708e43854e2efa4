/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_POLICY_INTERNAL_H
#define CAPGUARD_POLICY_INTERNAL_H

/* Between the policy's own files, not for the rest of capguard: policy.c
   parses and frees, policy_match.c compiles regexes and selects rules,
   policy_cache.c stores and rebuilds compiled policies, policy_locate.c
   finds settings in the text.  */

#include "policy.h"

/* An empty policy (the top level's defaults, no rules) for TEXT (which it
   takes) from SOURCE.  */
struct policy *policy_new (char *text, size_t len, const char *source, int last_cap);

/* The seccomp profile named SOURCE ("<built-in baseline>" or an absolute
   path, read and checked as a policy's `seccompProfile`) loaded into POLICY
   and made S's.  */
int policy_attach_profile (struct policy *policy, const char *source, struct policy_settings *s,
                           struct error **err);

/* The profile at PATH (read with the policy's ownership rules), loaded into
   POLICY and made S's: -2 when it could not be read, -1 when it is not a
   valid profile (the error located in its text).  */
int policy_profile_file (struct policy *policy, const char *path, struct policy_settings *s,
                         struct error **err);

/* The built-in baseline (policy/seccomp-baseline.json), parsed once per
   policy, made S's.  */
int policy_profile_builtin (struct policy *policy, struct policy_settings *s, struct error **err);

/* Why PATTERN is refused before regcomp sees it, or NULL.  */
const char *policy_regex_too_costly (const char *pattern);

/* Gives R the next slot of POLICY's table of compiled regexes.  */
void policy_regex_add (struct policy *policy, struct policy_regex *r);

/* Compiles POLICY's R once, into its slot (the table is reached through a
   pointer, so a const policy compiles without a cast): 1, or -1 when it
   does not compile (policy_regex_error says why).  */
int policy_regex_compile (const struct policy *policy, const struct policy_regex *r);
const char *policy_regex_error (const struct policy *policy, const struct policy_regex *r);
bool policy_regex_compiled (const struct policy *policy, const struct policy_regex *r);

/* The table, empty; and freed with every regex compiled into it.  */
struct policy_regexes *policy_regexes_new (void);
void policy_regexes_free (struct policy_regexes *regexes);

/* Whether every regex of POLICY compiles (each is freed again: a policy
   of 10 000 rules compiled whole takes 60 MB).  */
bool policy_regexes_compile (const struct policy *policy);

#endif
