/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_POLICY_H
#define CAPGUARD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"
#include "fields.h"

#define POLICY_DEFAULT_PATH "/etc/capguard/policy.json"
#define POLICY_MAX_RULES 16384

enum policy_action
{
  POLICY_REWRITE,
  POLICY_ENFORCE,
  POLICY_AUDIT,
};

enum policy_seccomp
{
  POLICY_SECCOMP_KEEP,     /* leave linux.seccomp as it is */
  POLICY_SECCOMP_REQUIRE,  /* refuse an unconfined container */
  POLICY_SECCOMP_BASELINE, /* give an unconfined container the node's baseline profile */
};

/* The range pingGroupRange: auto sets: every group.  */
#define POLICY_PING_GROUP_RANGE "0 2147483647"

enum policy_ping
{
  POLICY_PING_KEEP, /* leave net.ipv4.ping_group_range as it is */
  POLICY_PING_AUTO, /* open unprivileged ICMP sockets when CAP_NET_RAW is gone */
};

enum policy_privileged
{
  POLICY_PRIVILEGED_KEEP,   /* no opinion */
  POLICY_PRIVILEGED_REFUSE, /* refuse a container its engine made privileged */
};

enum policy_userns
{
  POLICY_USERNS_KEEP, /* leave user-namespace creation to the container's profile */
  POLICY_USERNS_DENY, /* unshare/clone(CLONE_NEWUSER) and clone3 fail */
};

/* The effective settings for one container: the top level, or a rule's
   keys laid over it.  */
struct policy_settings
{
  enum policy_action action;
  uint64_t allow;       /* ceiling of bounding, permitted, effective */
  uint64_t deny;        /* refuse when present in any set */
  uint64_t inheritable; /* ceiling of inheritable */
  uint64_t ambient;     /* ceiling of ambient */
  bool no_new_privileges;
  enum policy_seccomp seccomp;
  const json_t *seccomp_profile;      /* for baseline: an OCI linux.seccomp object */
  const char *seccomp_profile_source; /* its file, or "<built-in baseline>" */
  enum policy_ping ping_group_range;
  enum policy_privileged privileged;
  enum policy_userns user_namespaces;
};

/* Who a container is, for rule matching; strings may be NULL (missing).  */
struct policy_subject
{
  const char *fields[FIELD_COUNT];
  bool has_uid;
  uint32_t uid;
  const json_t *annotations; /* object of strings, or NULL */
};

/* A match key's regex; compiled when first used, into its slot of the
   policy's table (policy_match.c).  */
struct policy_regex
{
  char *pattern;
  const char *what; /* the match key, for the error */
  size_t slot;
};

struct policy_annotation_match
{
  char *key;
  struct policy_regex value;
};

struct policy_rule
{
  char *name;
  bool has_field[FIELD_COUNT];
  struct policy_regex field[FIELD_COUNT];
  struct policy_annotation_match *annotations;
  size_t n_annotations;
  bool has_uid;
  uint32_t uid;
  struct policy_settings settings;
};

struct policy
{
  bool cached;  /* read from its compiled form (policy_cache.h), */
  char *arena;  /* this entry, which holds its rules' and settings' strings */
  char *source; /* the file, or "<built-in>" */
  char *text;   /* its text, for locating a setting (explain) */
  size_t text_len;
  int last_cap; /* the kernel's, when the policy was loaded */
  struct policy_settings defaults;
  struct policy_rule *rules;
  size_t n_rules;
  bool log_syslog;
  char *log_file;
  char *runtime;
  size_t n_regexes;
  struct policy_regexes *regexes; /* their compiled states, made on first use */
  json_t *profiles;               /* the seccomp profiles the settings point at (owned) */
  json_t *profile_sources;        /* their sources, strings (owned) */
  const json_t *builtin_profile;
};

const char *policy_action_name (enum policy_action action);

/* policy_load's and policy_parse's FLAGS.  */
enum
{
  /* For the commands on the container-start path (precreate, hook, the
     wrapper): a rule's regexes are compiled when the rule is first tried,
     not when the policy loads (a 1 000-rule policy would otherwise cost
     every start 1 000 regcomp calls), and a big policy is read from its
     compiled form when that is fresh (policy_cache.h).  `check`,
     `explain` and `status` compile every regex and read only the file.  */
  POLICY_HOT = 1 << 0,
};

/* Loads the node policy.  PATH NULL means the default path, where a missing
   file selects the built-in policy; a named file must exist.  The file and
   its directory must be owned by root or the caller and not writable by
   group or others.  */
struct policy *policy_load (const char *path, int last_cap, unsigned flags, struct error **err);

/* Loads PATH as the default policy: the built-in one when nothing is at
   PATH (not even a dangling symlink), else as policy_load.  */
struct policy *policy_load_default (const char *path, int last_cap, unsigned flags,
                                    struct error **err);

/* Parses and validates policy text; SOURCE names it in errors, which read
   `SOURCE:LINE:COLUMN: message`.  */
struct policy *policy_parse (const char *text, size_t len, const char *source, int last_cap,
                             unsigned flags, struct error **err);

void policy_free (struct policy *policy);
static inline void
policy_freep (struct policy **p)
{
  policy_free (*p);
}
#define cleanup_policy __attribute__ ((cleanup (policy_freep)))

/* The first rule whose match holds, or NULL for the top level.  With
   deferred regexes a rule's are compiled when it is first tried; one that
   does not compile sets *BROKEN (the policy is invalid: the caller fails
   closed) and NULL is returned.  */
const struct policy_rule *policy_select (const struct policy *policy,
                                         const struct policy_subject *subject, const char **broken);

/* Where the setting KEY ("capabilities.allow", "seccomp", ...) that RULE
   (NULL: the top level) takes effect stands in the policy text, as
   "SOURCE:LINE:COLUMN"; a rule that does not set it inherits the top
   level's.  NULL when the text does not hold it (a default).  Caller frees.  */
char *policy_locate_setting (const struct policy *policy, const struct policy_rule *rule,
                             const char *key);

/* The built-in policy, the text of policy/default.json.  */
extern const char policy_builtin_text[];
extern const size_t policy_builtin_len;

/* The built-in seccomp baseline, the text of policy/seccomp-baseline.json.  */
extern const char seccomp_baseline_text[];
extern const size_t seccomp_baseline_len;

#endif
