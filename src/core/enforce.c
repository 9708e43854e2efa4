/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>

#include "enforce.h"
#include "jsontext.h"
#include "seccomp_util.h"
#include "util.h"

static const char *const outcome_names[] = {
  [ENFORCE_ALLOWED] = "allowed",
  [ENFORCE_REWRITTEN] = "rewritten",
  [ENFORCE_REFUSED] = "refused",
  [ENFORCE_AUDITED] = "audited",
};

const char *
enforce_outcome_name (enum enforce_outcome outcome)
{
  return outcome_names[outcome];
}

static uint64_t
ceiling_of (const struct policy_settings *s, enum capset_kind kind)
{
  switch (kind)
    {
    case CAPSET_INHERITABLE:
      return s->inheritable;
    case CAPSET_AMBIENT:
      return s->ambient;
    case CAPSET_BOUNDING:
    case CAPSET_EFFECTIVE:
    case CAPSET_PERMITTED:
    case CAPSET_COUNT:
      break;
    }
  return s->allow;
}

const char *
enforce_ceiling_key (enum capset_kind kind)
{
  return kind == CAPSET_INHERITABLE ? "capabilities.inheritable"
         : kind == CAPSET_AMBIENT   ? "capabilities.ambient"
                                    : "capabilities.allow";
}

/* What the clauses of SPEC §4 find, before the action turns it into an
   outcome.  */
struct judgement
{
  const struct oci_facts *facts;
  enum enforce_stage stage;
  enum policy_action action;     /* the rule's; rewrite for a pod sandbox */
  bool sandbox;                  /* a CRI pod's sandbox, not under audit */
  bool refuse;                   /* a clause that refuses whatever the action */
  bool exceeds;                  /* a clause a rewrite can meet */
  uint64_t excess[CAPSET_COUNT]; /* beyond each set's ceiling */
};

/* A violation as data (enforce.h), beside its sentence.  */
static json_t *
violation (struct decision *d, const char *kind)
{
  json_t *v = json_pack ("{s:s}", "kind", kind);

  json_array_append_new (d->violations, v);
  return v;
}

static void
capabilities_violation (struct decision *d, int set, const char *ceiling, json_t *names)
{
  json_t *v = violation (d, "capabilities");

  json_object_set_new (v, "set", json_string (capset_kind_name (set)));
  json_object_set_new (v, "ceiling", json_string (ceiling));
  json_object_set_new (v, "capabilities", names);
}

static void
seccomp_violation (struct decision *d, const char *setting, const struct oci_facts *facts)
{
  json_t *v = violation (d, "seccomp");

  json_object_set_new (v, "setting", json_string (setting));
  json_object_set_new (v, "profile",
                       json_string (facts->seccomp == OCI_SECCOMP_NONE ? "missing" : "unconfined"));
}

/* The rule the container's identity selects.  False when a regex the
   choice needs does not compile: the policy is invalid, and refuses.  */
static bool
select_rule (const struct policy *policy, const struct oci_facts *facts, struct decision *d)
{
  struct policy_subject subject = { 0 };
  const char *broken;
  int f;

  for (f = 0; f < FIELD_KUBERNETES_COUNT; f++)
    subject.fields[f] = facts->fields[f];
  subject.fields[FIELD_COMMAND] = facts->command;
  subject.has_uid = facts->has_uid;
  subject.uid = facts->uid;
  subject.annotations = facts->annotations;
  if (facts->conflicts)
    jsontext_append_printf (d->reasons, "annotations disagree: %s", facts->conflicts);

  d->rule = policy_select (policy, &subject, &broken);
  d->settings = d->rule ? d->rule->settings : policy->defaults;
  memcpy (d->final, facts->sets, sizeof d->final);
  if (broken)
    {
      jsontext_append_printf (d->reasons, "the policy is invalid: %s", broken);
      d->outcome = ENFORCE_REFUSED;
      return false;
    }
  return true;
}

/* A CRI pod's sandbox (pause) container gets the engine's default
   capabilities, which no pod spec can change, and needs none: refusing it
   would stop every pod on the node, so it is rewritten down instead (SPEC
   §4 "Pod sandboxes").  A caller who marks another container as a sandbox
   only trades a refusal for a clamp.  */
static void
judge_sandbox (struct judgement *j, struct decision *d)
{
  j->sandbox = j->facts->sandbox && d->settings.action != POLICY_AUDIT;
  j->action = j->sandbox ? POLICY_REWRITE : d->settings.action;
  if (j->sandbox)
    jsontext_append_printf (d->reasons, "a pod sandbox: rewritten down, never refused for its "
                                        "capabilities");
}

/* deny wins over allow, and refuses whatever the action (SPEC §4).  */
static void
judge_deny (struct judgement *j, struct decision *d)
{
  int k;

  for (k = 0; k < CAPSET_COUNT; k++)
    {
      uint64_t hit = capset_intersect (j->facts->sets[k], d->settings.deny);
      cleanup_free char *names = NULL;

      if (!hit)
        continue;
      names = capset_to_string (hit, " ");
      jsontext_append_printf (d->reasons, "%s holds %s, denied by capabilities.deny",
                              capset_kind_name (k), names);
      capabilities_violation (d, k, "capabilities.deny", jsontext_cap_names (hit));
      if (j->sandbox)
        j->exceeds = true;
      else
        j->refuse = true;
    }
}

/* Each set within its ceiling (allow, inheritable, ambient), and no name
   that is not a capability of this kernel.  */
static void
judge_ceilings (struct judgement *j, struct decision *d)
{
  const struct oci_facts *facts = j->facts;
  int k;

  for (k = 0; k < CAPSET_COUNT; k++)
    {
      uint64_t ceiling = ceiling_of (&d->settings, k);

      j->excess[k] = capset_subtract (facts->sets[k], ceiling);
      if (j->excess[k])
        {
          cleanup_free char *names = capset_to_string (j->excess[k], " ");
          jsontext_append_printf (d->reasons, "%s holds %s, beyond %s", capset_kind_name (k), names,
                                  enforce_ceiling_key (k));
          capabilities_violation (d, k, enforce_ceiling_key (k), jsontext_cap_names (j->excess[k]));
          j->exceeds = true;
        }
      if (facts->unknown[k])
        {
          cleanup_free char *unknown = oci_names_text (facts->unknown[k]);
          jsontext_append_printf (d->reasons, "%s holds %s, not a capability of this kernel",
                                  capset_kind_name (k), unknown);
          capabilities_violation (d, k, "kernel", json_deep_copy (facts->unknown[k]));
          j->exceeds = true;
          d->unknown_removed[k] = true;
        }
      d->final[k] = capset_subtract (capset_intersect (facts->sets[k], ceiling), d->settings.deny);
    }
}

static void
judge_no_new_privileges (struct judgement *j, struct decision *d)
{
  if (!d->settings.no_new_privileges || j->facts->no_new_privileges == 1)
    return;
  jsontext_append_printf (d->reasons,
                          "process.noNewPrivileges is not set, required by noNewPrivileges");
  violation (d, "noNewPrivileges");
  j->exceeds = true;
  d->set_nnp = true;
}

static const char *
unconfined_why (const struct oci_facts *facts)
{
  return facts->seccomp == OCI_SECCOMP_NONE ? "linux.seccomp is missing"
                                            : "linux.seccomp allows every syscall (unconfined)";
}

/* seccomp: baseline gives an unconfined container the node's profile:
   without one, a process with no capability at all can still create a user
   namespace and hold every capability inside it, which is how most
   container escapes through kernel bugs begin (user_namespaces(7)).
   seccomp: require cannot be met by a rewrite, so it refuses (SPEC §4).  */
static void
judge_seccomp (struct judgement *j, struct decision *d)
{
  if (j->facts->seccomp == OCI_SECCOMP_CONFINED)
    return;
  if (d->settings.seccomp == POLICY_SECCOMP_BASELINE)
    {
      jsontext_append_printf (d->reasons, "%s: the node's seccomp baseline (%s) is required",
                              unconfined_why (j->facts), d->settings.seccomp_profile_source);
      seccomp_violation (d, "baseline", j->facts);
      j->exceeds = true;
      d->set_seccomp = true;
    }
  else if (d->settings.seccomp == POLICY_SECCOMP_REQUIRE)
    {
      jsontext_append_printf (
          d->reasons, "%s, required by seccomp: require%s", unconfined_why (j->facts),
          j->sandbox ? " (not refused: the sandbox runs only the pause process)" : "");
      seccomp_violation (d, "require", j->facts);
      j->refuse = j->refuse || !j->sandbox;
    }
}

/* privileged: refuse.  Each sign of a privileged container alone is
   host-level power whatever its capabilities (every device node opened:
   root with DAC_OVERRIDE reads the disks; the kernel's tunables written;
   sysrq; the host's memory): clamping it would not give its author what
   was asked, so it is refused, not rewritten.  A pod's sandbox runs only
   the pause process: it is logged, not refused, so a pod is refused
   through its containers.  */
static void
judge_privileged (struct judgement *j, struct decision *d)
{
  cleanup_free char *signs = NULL;
  json_t *names = json_array ();
  unsigned bit;

  if (d->settings.privileged != POLICY_PRIVILEGED_REFUSE || j->facts->privileged == 0)
    {
      json_decref (names);
      return;
    }
  for (bit = 1; bit <= OCI_PRIVILEGED_SIGNS; bit <<= 1)
    if (j->facts->privileged & bit)
      {
        util_append (&signs, "; ", "%s", oci_privileged_criterion (bit));
        json_array_append_new (names, json_string (oci_privileged_sign (bit)));
      }
  json_object_set_new (violation (d, "privileged"), "signs", names);
  jsontext_append_printf (d->reasons, "privileged: %s, refused by privileged: refuse%s", signs,
                          j->sandbox ? " (not refused: the sandbox runs only the pause process)"
                                     : "");
  j->refuse = j->refuse || !j->sandbox;
}

/* userNamespaces: deny.  Inside a user namespace of its own a process with
   no capability at all holds every one over what the namespace owns: the
   door behind most container escapes through kernel bugs
   (user_namespaces(7)).  The profile the container will run with is
   judged: its own, or the baseline a rewrite is about to give it.  */
static void
judge_user_namespaces (struct judgement *j, struct decision *d)
{
  const struct oci_facts *facts = j->facts;
  const char *why, *call;

  if (d->settings.user_namespaces != POLICY_USERNS_DENY)
    return;
  why = seccomp_profile_opens_userns (
      d->set_seccomp ? d->settings.seccomp_profile
                     : (facts->seccomp == OCI_SECCOMP_CONFINED ? facts->seccomp_profile : NULL),
      &call);
  if (why == NULL)
    return;
  jsontext_append_printf (d->reasons,
                          "linux.seccomp lets it create a user namespace (%s), denied by "
                          "userNamespaces: deny",
                          why);
  json_object_set_new (violation (d, "userNamespaces"), "call", json_string (call));
  j->exceeds = true;
  d->set_userns = true;
}

/* After clamping, restore what the kernel requires of a process's sets
   (capabilities(7)); under any other action only report the removals the
   ceilings would make.  */
static void
judge_invariants (struct judgement *j, struct decision *d)
{
  int k;

  capset_normalise (d->final);
  for (k = 0; k < CAPSET_COUNT; k++)
    {
      uint64_t invariant;
      cleanup_free char *names = NULL;

      d->removed[k] = capset_subtract (j->facts->sets[k], d->final[k]);
      d->changed[k] = d->removed[k] != 0 || d->unknown_removed[k];
      invariant = capset_subtract (d->removed[k], j->excess[k]);
      if (!invariant || j->action != POLICY_REWRITE || j->refuse)
        continue;
      names = capset_to_string (invariant, " ");
      jsontext_append_printf (d->reasons, "%s loses %s, which the kernel would not grant (%s)",
                              capset_kind_name (k), names,
                              k == CAPSET_PERMITTED   ? "permitted must stay within bounding"
                              : k == CAPSET_EFFECTIVE ? "effective must stay within permitted"
                                                      : "ambient must stay within permitted and "
                                                        "inheritable");
    }
}

/* pingGroupRange: auto.  Without CAP_NET_RAW ping needs the kernel's
   unprivileged ICMP sockets (icmp(7), ping_group_range), a per network
   namespace sysctl: never touched for a container on the host's network,
   nor where the config already sets it.  Not a violation: only a rewrite
   sets it.  */
static void
judge_ping (struct judgement *j, struct decision *d)
{
  const struct oci_facts *facts = j->facts;

  if (d->settings.ping_group_range != POLICY_PING_AUTO || facts->ping_sysctl
      || j->action != POLICY_REWRITE || j->stage != ENFORCE_CAN_REWRITE)
    return;
  if (facts->network_ns && !capset_has (d->final[CAPSET_BOUNDING], CAP_NET_RAW))
    {
      jsontext_append_printf (d->reasons,
                              "net.ipv4.ping_group_range set to `" ENFORCE_PING_GROUP_RANGE
                              "`: CAP_NET_RAW is not held, and ping needs ICMP sockets");
      d->set_ping = true;
    }
  else if (facts->network_unknown)
    jsontext_append_printf (d->reasons,
                            "net.ipv4.ping_group_range not set: the network namespace `%s` cannot "
                            "be read, so it may be the host's",
                            facts->network_unknown);
}

/* The outcome of a rewrite, which a check-only stage cannot make.  */
static enum enforce_outcome
rewrite_outcome (const struct judgement *j, struct decision *d)
{
  bool any = d->set_nnp || d->set_seccomp || d->set_ping || d->set_userns;
  int k;

  if (j->refuse)
    return ENFORCE_REFUSED;
  if (j->exceeds && j->stage != ENFORCE_CAN_REWRITE && j->sandbox)
    {
      jsontext_append_printf (d->reasons, "no rewrite step ran for this sandbox; let through");
      return ENFORCE_AUDITED;
    }
  if (j->exceeds && j->stage != ENFORCE_CAN_REWRITE)
    {
      /* A check-only stage still seeing an excess means no rewrite step ran
         for this container: refuse rather than let it by.  */
      jsontext_append_printf (d->reasons,
                              j->stage == ENFORCE_RESTORED
                                  ? "the restored process holds the credentials saved in its "
                                    "checkpoint, which no rewrite of config.json reaches"
                                  : "no rewrite step ran for this container (is the precreate "
                                    "hook or the runtime wrapper registered?)");
      return ENFORCE_REFUSED;
    }
  for (k = 0; k < CAPSET_COUNT; k++)
    any |= d->changed[k];
  return any ? ENFORCE_REWRITTEN : ENFORCE_ALLOWED;
}

/* The action turns the findings into the outcome; only a rewrite changes
   anything, the removals stay as a report otherwise.  */
static void
conclude (const struct judgement *j, struct decision *d)
{
  bool violates = j->refuse || j->exceeds;

  switch (j->action)
    {
    case POLICY_AUDIT:
      d->outcome = violates ? ENFORCE_AUDITED : ENFORCE_ALLOWED;
      break;
    case POLICY_ENFORCE:
      d->outcome = violates ? ENFORCE_REFUSED : ENFORCE_ALLOWED;
      break;
    case POLICY_REWRITE:
      d->outcome = rewrite_outcome (j, d);
      break;
    }
  if (d->outcome != ENFORCE_REWRITTEN)
    {
      memset (d->changed, 0, sizeof d->changed);
      d->set_nnp = d->set_seccomp = d->set_ping = d->set_userns = false;
      if (d->outcome != ENFORCE_REFUSED)
        memcpy (d->final, j->facts->sets, sizeof d->final);
    }
}

void
enforce_decide (const struct policy *policy, const struct oci_facts *facts,
                enum enforce_stage stage, struct decision *d)
{
  struct judgement j = { .facts = facts, .stage = stage };

  memset (d, 0, sizeof *d);
  d->reasons = json_array ();
  d->violations = json_array ();
  if (!select_rule (policy, facts, d))
    return; /* fail closed: an invalid policy lets nothing through */
  judge_sandbox (&j, d);
  judge_deny (&j, d);
  judge_ceilings (&j, d);
  judge_no_new_privileges (&j, d);
  judge_seccomp (&j, d);
  judge_privileged (&j, d);
  judge_user_namespaces (&j, d);
  judge_invariants (&j, d);
  judge_ping (&j, d);
  conclude (&j, d);
}

int
enforce_apply (const struct policy *policy, const struct decision *d, json_t *config,
               struct error **err)
{
  json_auto_t *profile = NULL;
  struct oci_edit edit = { 0 };

  if (d->set_seccomp)
    profile = seccomp_profile_for_config (d->settings.seccomp_profile);
  if (d->set_userns)
    {
      /* On the profile the container will run with: the baseline just
         given, its own, or the baseline when it has none.  */
      json_t *own = json_object_get (json_object_get (config, "linux"), "seccomp");
      const char *def = json_string_value (json_object_get (own, "defaultAction"));
      bool confined = def
                      && !(strcmp (def, "SCMP_ACT_ALLOW") == 0
                           && json_array_size (json_object_get (own, "syscalls")) == 0);
      if (profile == NULL)
        profile = confined ? json_deep_copy (own)
                           : seccomp_profile_for_config (d->settings.seccomp_profile);
      /* The built-in baseline already denies them: nothing to add.  */
      if (seccomp_profile_opens_userns (profile, NULL)
          && seccomp_profile_deny_userns (profile, err) < 0)
        return -1;
    }
  edit.keep = d->final;
  edit.changed = d->changed;
  edit.set_nnp = d->set_nnp;
  edit.ping_group_range = d->set_ping ? ENFORCE_PING_GROUP_RANGE : NULL;
  edit.seccomp = profile;
  return oci_config_apply (config, &edit, policy->last_cap, err);
}

int
enforce_rewrite_text (const struct policy *policy, const char *text, size_t len, json_t *config,
                      struct oci_facts *facts, struct decision *d, char **out, size_t *out_len,
                      struct error **err)
{
  static const struct jsontext_step caps_path[]
      = { { .key = "process" }, { .key = "capabilities" } };
  cleanup_free char *caps = NULL;
  size_t start, end, caps_len;

  memset (d, 0, sizeof *d);
  *out = NULL;
  if (oci_config_facts (config, policy->last_cap, facts, err) < 0)
    return -1;
  enforce_decide (policy, facts, ENFORCE_CAN_REWRITE, d);
  if (d->outcome != ENFORCE_REWRITTEN)
    return 0;
  if (enforce_apply (policy, d, config, err) < 0)
    return -1;
  if (!d->set_nnp && !d->set_ping && !d->set_seccomp && !d->set_userns
      && jsontext_span (text, len, caps_path, 2, &start, &end) == 0)
    {
      caps = json_dumps (json_object_get (json_object_get (config, "process"), "capabilities"),
                         JSON_COMPACT);
      if (caps == NULL)
        return make_error (err, ENOMEM, "cannot serialise the rewritten capabilities");
      caps_len = strlen (caps);
      *out_len = start + caps_len + (len - end);
      *out = xmalloc0 (*out_len + 1);
      memcpy (*out, text, start);
      memcpy (*out + start, caps, caps_len);
      memcpy (*out + start + caps_len, text + end, len - end);
      return 0;
    }
  *out = json_dumps (config, JSON_COMPACT);
  if (*out == NULL)
    return make_error (err, ENOMEM, "cannot serialise the rewritten config");
  *out_len = strlen (*out);
  return 0;
}

void
decision_release (struct decision *d)
{
  json_decref (d->reasons);
  d->reasons = NULL;
  json_decref (d->violations);
  d->violations = NULL;
}
