/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_ENFORCE_H
#define CAPGUARD_ENFORCE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "capset.h"
#include "oci.h"
#include "policy.h"

/* Every group may open unprivileged ICMP sockets (icmp(7)), so that ping
   works without CAP_NET_RAW.  */
#define ENFORCE_PING_GROUP_RANGE POLICY_PING_GROUP_RANGE

/* The policy key that holds the ceiling of set KIND ("capabilities.allow",
   "capabilities.inheritable", "capabilities.ambient").  */
const char *enforce_ceiling_key (enum capset_kind kind);

enum enforce_outcome
{
  ENFORCE_ALLOWED,   /* conforms; nothing to change */
  ENFORCE_REWRITTEN, /* clamped to the policy */
  ENFORCE_REFUSED,   /* must not run */
  ENFORCE_AUDITED,   /* would have been rewritten or refused; let through */
};

/* Where the decision is taken: only `precreate` and `runtime` can rewrite.
   A check-only stage treats an excess as "no rewrite step ran".  */
enum enforce_stage
{
  ENFORCE_CAN_REWRITE,
  ENFORCE_CHECK_ONLY,
  ENFORCE_RESTORED, /* check only: the live sets of a process CRIU restored */
};

struct decision
{
  enum enforce_outcome outcome;
  const struct policy_rule *rule; /* NULL: the top level ("default") */
  struct policy_settings settings;
  uint64_t final[CAPSET_COUNT];       /* the sets after the decision */
  uint64_t removed[CAPSET_COUNT];     /* known capabilities taken (or that would be) */
  bool unknown_removed[CAPSET_COUNT]; /* names runc would not know, dropped */
  bool changed[CAPSET_COUNT];         /* the set's array must be rewritten */
  bool set_nnp;                       /* process.noNewPrivileges must be set */
  bool set_seccomp;                   /* linux.seccomp = the settings' baseline profile */
  bool set_ping;                      /* net.ipv4.ping_group_range = ENFORCE_PING_GROUP_RANGE */
  bool set_userns;                    /* linux.seccomp denies user namespaces */
  json_t *reasons;                    /* array of strings, owned */
  json_t *violations;                 /* the same as data (SPEC §5), owned: see below */
};

/* Each violation is an object whose "kind" says what it is:
     capabilities: "set", "ceiling" (capabilities.allow, .inheritable,
       .ambient, .deny, or "kernel" for names this kernel does not know),
       "capabilities" (names);
     noNewPrivileges;
     seccomp: "setting" (baseline, require), "profile" (missing,
       unconfined);
     privileged: "signs" (all-char-devices, all-block-devices,
       sysfs-writable, proc-unmasked);
     userNamespaces: "call" (unshare, clone, clone3, none: no profile).
   report reads these, never the sentences.  */

const char *enforce_outcome_name (enum enforce_outcome outcome);

/* The decision core: what POLICY says of a config with FACTS.  Pure: no
   I/O, no logging.  */
void enforce_decide (const struct policy *policy, const struct oci_facts *facts,
                     enum enforce_stage stage, struct decision *out);
void decision_release (struct decision *d);

/* Applies a `rewritten` decision D to CONFIG: the sets, no_new_privs, the
   ping sysctl and the seccomp baseline (without its comments).  */
int enforce_apply (const struct policy *policy, const struct decision *d, json_t *config,
                   struct error **err);

/* The rewrite step of precreate and the runtime wrapper: the facts of
   CONFIG (parsed from TEXT, LEN bytes), the decision on them, and when the
   decision is `rewritten` the conforming document in *OUT (*OUT_LEN bytes),
   which stays NULL otherwise.  When only capability sets change, *OUT is
   TEXT with the value of process.capabilities replaced and every other
   byte as it was, which also saves serialising the whole document.  FACTS
   and D must be released, even on failure.  */
int enforce_rewrite_text (const struct policy *policy, const char *text, size_t len, json_t *config,
                          struct oci_facts *facts, struct decision *d, char **out, size_t *out_len,
                          struct error **err);

#endif
