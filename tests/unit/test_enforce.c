/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "enforce.h"
#include "report.h"
#include "tap.h"
#include "util.h"

#define LAST 40
#define KILL capset_bit (5)
#define CHOWN capset_bit (0)
#define NET_RAW capset_bit (13)
#define SYS_ADMIN capset_bit (21)

static struct policy *
policy_with (const char *action, const char *extra)
{
  cleanup_free char *text = NULL;
  cleanup_error struct error *err = NULL;
  struct policy *p;

  xasprintf (&text,
             "{\"version\":1,\"action\":\"%s\",\"capabilities\":{\"allow\":[\"KILL\",\"CHOWN\"],"
             "\"deny\":[\"SYS_ADMIN\"],\"inheritable\":[\"KILL\"],\"ambient\":[\"KILL\"]}%s}",
             action, extra);
  p = policy_parse (text, strlen (text), "t.json", LAST, 0, &err);
  if (p == NULL)
    fprintf (stderr, "# %s\n", err->msg);
  return p;
}

static void
facts_all (struct oci_facts *f, uint64_t set)
{
  int k;

  memset (f, 0, sizeof *f);
  f->no_new_privileges = -1;
  f->caps_present = true;
  for (k = 0; k < CAPSET_COUNT; k++)
    {
      f->set_present[k] = true;
      f->sets[k] = set;
    }
}

static bool
reasons_have (const struct decision *d, const char *needle)
{
  json_t *r;
  size_t i;

  json_array_foreach (d->reasons, i, r)
    if (strstr (json_string_value (r), needle))
      return true;
  fprintf (stderr, "# no reason contains `%s`\n", needle);
  return false;
}

static int
test_conforming_is_allowed_under_every_action (void)
{
  static const char *const actions[] = { "rewrite", "enforce", "audit" };
  size_t i;

  for (i = 0; i < 3; i++)
    {
      cleanup_policy struct policy *p = policy_with (actions[i], "");
      struct oci_facts f;
      struct decision d;
      int k;

      EXPECT (p != NULL);
      facts_all (&f, KILL);
      enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
      EXPECT (d.outcome == ENFORCE_ALLOWED);
      for (k = 0; k < CAPSET_COUNT; k++)
        EXPECT (!d.changed[k] && d.removed[k] == 0 && d.final[k] == KILL);
      EXPECT (json_array_size (d.reasons) == 0);
      decision_release (&d);
      enforce_decide (p, &f, ENFORCE_CHECK_ONLY, &d);
      EXPECT (d.outcome == ENFORCE_ALLOWED);
      decision_release (&d);
    }
  return 0;
}

static int
test_rewrite_clamps_each_set_to_its_ceiling (void)
{
  cleanup_policy struct policy *p = policy_with ("rewrite", "");
  struct oci_facts f;
  struct decision d;

  facts_all (&f, KILL | CHOWN | NET_RAW);
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REWRITTEN);
  EXPECT (d.final[CAPSET_BOUNDING] == (KILL | CHOWN));
  EXPECT (d.final[CAPSET_PERMITTED] == (KILL | CHOWN));
  EXPECT (d.final[CAPSET_EFFECTIVE] == (KILL | CHOWN));
  EXPECT (d.final[CAPSET_INHERITABLE] == KILL);
  EXPECT (d.final[CAPSET_AMBIENT] == KILL);
  EXPECT (d.removed[CAPSET_BOUNDING] == NET_RAW);
  EXPECT (d.removed[CAPSET_INHERITABLE] == (CHOWN | NET_RAW));
  EXPECT (d.changed[CAPSET_BOUNDING] && d.changed[CAPSET_AMBIENT]);
  EXPECT (reasons_have (&d, "bounding holds CAP_NET_RAW, beyond capabilities.allow"));
  EXPECT (reasons_have (
      &d, "inheritable holds CAP_CHOWN CAP_NET_RAW, beyond capabilities.inheritable"));
  EXPECT (!d.set_nnp);
  decision_release (&d);
  return 0;
}

static int
test_deny_refuses_under_rewrite_and_enforce_not_audit (void)
{
  static const struct
  {
    const char *action;
    enum enforce_outcome want;
  } cases[] = { { "rewrite", ENFORCE_REFUSED },
                { "enforce", ENFORCE_REFUSED },
                { "audit", ENFORCE_AUDITED } };
  size_t i;
  int k;

  for (i = 0; i < 3; i++)
    for (k = 0; k < CAPSET_COUNT; k++)
      {
        cleanup_policy struct policy *p = policy_with (cases[i].action, "");
        struct oci_facts f;
        struct decision d;

        /* SYS_ADMIN in any single set is enough.  */
        facts_all (&f, KILL);
        f.sets[k] |= SYS_ADMIN;
        enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
        EXPECT (d.outcome == cases[i].want);
        EXPECT (reasons_have (&d, "holds CAP_SYS_ADMIN, denied by capabilities.deny"));
        EXPECT (d.removed[k] & SYS_ADMIN);
        if (d.outcome != ENFORCE_REWRITTEN)
          {
            int j;
            for (j = 0; j < CAPSET_COUNT; j++)
              EXPECT (!d.changed[j]);
          }
        decision_release (&d);
      }
  return 0;
}

static int
test_deny_wins_over_allow (void)
{
  cleanup_policy struct policy *p = NULL;
  cleanup_error struct error *err = NULL;
  const char *text
      = "{\"version\":1,\"capabilities\":{\"allow\":[\"ALL\"],\"deny\":[\"NET_RAW\"]}}";
  struct oci_facts f;
  struct decision d;

  p = policy_parse (text, strlen (text), "t", LAST, 0, &err);
  EXPECT (p != NULL);
  facts_all (&f, 0);
  f.sets[CAPSET_BOUNDING] = NET_RAW;
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REFUSED);
  /* As data: the set, the ceiling and the capability.  */
  EXPECT (json_array_size (d.violations) == 1);
  EXPECT_STR (json_string_value (json_object_get (json_array_get (d.violations, 0), "set")),
              "bounding");
  EXPECT_STR (json_string_value (json_object_get (json_array_get (d.violations, 0), "ceiling")),
              "capabilities.deny");
  EXPECT_STR (json_string_value (json_array_get (
                  json_object_get (json_array_get (d.violations, 0), "capabilities"), 0)),
              "CAP_NET_RAW");
  decision_release (&d);
  return 0;
}

static int
test_enforce_refuses_excess_audit_reports_it (void)
{
  cleanup_policy struct policy *pe = policy_with ("enforce", "");
  cleanup_policy struct policy *pa = policy_with ("audit", "");
  struct oci_facts f;
  struct decision d;
  int k;

  facts_all (&f, KILL);
  f.sets[CAPSET_EFFECTIVE] |= NET_RAW;
  enforce_decide (pe, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REFUSED);
  EXPECT (reasons_have (&d, "effective holds CAP_NET_RAW, beyond capabilities.allow"));
  decision_release (&d);

  enforce_decide (pa, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_AUDITED);
  EXPECT (d.removed[CAPSET_EFFECTIVE] == NET_RAW);
  for (k = 0; k < CAPSET_COUNT; k++)
    EXPECT (!d.changed[k] && d.final[k] == f.sets[k]);
  decision_release (&d);
  return 0;
}

static int
test_check_only_stage_refuses_what_rewrite_would_clamp (void)
{
  cleanup_policy struct policy *p = policy_with ("rewrite", "");
  struct oci_facts f;
  struct decision d;

  facts_all (&f, KILL | NET_RAW);
  enforce_decide (p, &f, ENFORCE_CHECK_ONLY, &d);
  EXPECT (d.outcome == ENFORCE_REFUSED);
  EXPECT (reasons_have (&d, "no rewrite step ran"));
  decision_release (&d);
  return 0;
}

static int
test_invariants_restored_after_clamp (void)
{
  cleanup_policy struct policy *p = policy_with ("rewrite", "");
  struct oci_facts f;
  struct decision d;

  facts_all (&f, 0);
  f.sets[CAPSET_BOUNDING] = CHOWN; /* KILL left out of bounding */
  f.sets[CAPSET_PERMITTED] = KILL | CHOWN;
  f.sets[CAPSET_EFFECTIVE] = KILL | CHOWN;
  f.sets[CAPSET_INHERITABLE] = KILL;
  f.sets[CAPSET_AMBIENT] = KILL;
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REWRITTEN);
  EXPECT (d.final[CAPSET_PERMITTED] == CHOWN);
  EXPECT (d.final[CAPSET_EFFECTIVE] == CHOWN);
  EXPECT (d.final[CAPSET_AMBIENT] == 0);
  EXPECT (d.final[CAPSET_INHERITABLE] == KILL);
  EXPECT (reasons_have (&d, "permitted loses CAP_KILL, which the kernel would not grant"));
  EXPECT (reasons_have (&d, "ambient loses CAP_KILL"));
  decision_release (&d);

  /* Ambient needs inheritable: a rule that clears inheritable clears ambient.  */
  facts_all (&f, KILL);
  f.sets[CAPSET_INHERITABLE] = 0;
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REWRITTEN && d.final[CAPSET_AMBIENT] == 0);
  decision_release (&d);
  return 0;
}

static int
test_unknown_names_are_not_allowed (void)
{
  cleanup_policy struct policy *pr = policy_with ("rewrite", "");
  cleanup_policy struct policy *pe = policy_with ("enforce", "");
  struct oci_facts f;
  struct decision d;

  facts_all (&f, KILL);
  f.unknown[CAPSET_BOUNDING] = json_pack ("[s,s]", "cap_sys_admin", "CAP_KILL\",\"x");
  enforce_decide (pr, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REWRITTEN && d.changed[CAPSET_BOUNDING]);
  EXPECT (reasons_have (
      &d,
      "bounding holds \"cap_sys_admin\" \"CAP_KILL\\\",\\\"x\", not a capability of this kernel"));
  {
    /* The log lists each name, as the config wrote it, not one string.  */
    json_auto_t *rec
        = report_record (&(struct report_at){ NULL, "precreate", "precreate", NULL }, &d, &f);
    json_t *removed = json_object_get (json_object_get (rec, "removed"), "bounding");
    EXPECT (json_array_size (removed) == 2);
    EXPECT_STR (json_string_value (json_array_get (removed, 0)), "cap_sys_admin");
    EXPECT_STR (json_string_value (json_array_get (removed, 1)), "CAP_KILL\",\"x");
  }
  decision_release (&d);
  enforce_decide (pe, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REFUSED);
  decision_release (&d);
  oci_facts_release (&f);
  return 0;
}

static int
test_no_new_privileges (void)
{
  cleanup_policy struct policy *pr = policy_with ("rewrite", ",\"noNewPrivileges\":true");
  cleanup_policy struct policy *pe = policy_with ("enforce", ",\"noNewPrivileges\":true");
  cleanup_policy struct policy *pa = policy_with ("audit", ",\"noNewPrivileges\":true");
  struct oci_facts f;
  struct decision d;

  facts_all (&f, KILL);
  enforce_decide (pr, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REWRITTEN && d.set_nnp);
  decision_release (&d);
  enforce_decide (pe, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REFUSED && !d.set_nnp);
  EXPECT (reasons_have (&d, "noNewPrivileges is not set"));
  decision_release (&d);
  enforce_decide (pa, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_AUDITED && !d.set_nnp);
  decision_release (&d);
  f.no_new_privileges = 1;
  enforce_decide (pe, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_ALLOWED);
  decision_release (&d);
  return 0;
}

static int
test_rules_select_settings_and_record (void)
{
  cleanup_policy struct policy *p = policy_with (
      "rewrite", ",\"rules\":[{\"name\":\"net\",\"match\":{\"namespace\":\"kube-system\"},"
                 "\"action\":\"enforce\",\"capabilities\":{\"add\":[\"NET_RAW\"]}}]");
  json_auto_t *ann = json_pack ("{s:s}", "io.kubernetes.pod.namespace", "kube-system");
  json_auto_t *rec = NULL;
  cleanup_free char *summary = NULL;
  struct oci_facts f;
  struct decision d;

  facts_all (&f, KILL | NET_RAW);
  f.sets[CAPSET_INHERITABLE] = f.sets[CAPSET_AMBIENT] = 0;
  f.fields[FIELD_NAMESPACE] = "kube-system";
  f.annotations = ann;
  f.engine = "cri-o";
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.rule && strcmp (d.rule->name, "net") == 0);
  EXPECT (d.outcome == ENFORCE_ALLOWED);
  decision_release (&d);

  f.sets[CAPSET_BOUNDING] |= CHOWN | capset_bit (12);
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REFUSED);
  rec = report_record (&(struct report_at){ NULL, "precreate", "precreate", "abc" }, &d, &f);
  EXPECT_STR (json_string_value (json_object_get (rec, "rule")), "net");
  EXPECT_STR (json_string_value (json_object_get (rec, "decision")), "refused");
  EXPECT_STR (json_string_value (json_object_get (rec, "action")), "enforce");
  EXPECT_STR (json_string_value (json_object_get (rec, "namespace")), "kube-system");
  EXPECT_STR (json_string_value (json_object_get (rec, "id")), "abc");
  EXPECT_STR (json_string_value (json_object_get (rec, "engine")), "cri-o");
  EXPECT (json_is_null (json_object_get (rec, "pod")));
  EXPECT (json_array_size (json_object_get (json_object_get (rec, "removed"), "bounding")) == 1);
  EXPECT_STR (json_string_value (json_array_get (
                  json_object_get (json_object_get (rec, "removed"), "bounding"), 0)),
              "CAP_NET_ADMIN");
  summary = report_summary (p, &d);
  EXPECT_STR (summary, "refused by t.json (rule `net`, action enforce): bounding holds "
                       "CAP_NET_ADMIN, beyond capabilities.allow");
  decision_release (&d);

  /* Another namespace falls through to the top level, which rewrites.  */
  f.fields[FIELD_NAMESPACE] = "default";
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.rule == NULL && d.outcome == ENFORCE_REWRITTEN);
  EXPECT (d.final[CAPSET_BOUNDING] == (KILL | CHOWN));
  decision_release (&d);
  return 0;
}

static int
test_conflicting_annotations_are_reported (void)
{
  cleanup_policy struct policy *p = policy_with ("rewrite", "");
  struct oci_facts f;
  struct decision d;

  facts_all (&f, KILL);
  f.conflicts = xstrdup ("`namespace` is `a` (containerd) but `b` (cri-o); it matches nothing");
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (reasons_have (&d, "annotations disagree: `namespace` is `a`"));
  decision_release (&d);
  oci_facts_release (&f);
  return 0;
}

static int
test_seccomp_require (void)
{
  cleanup_policy struct policy *pr = policy_with ("rewrite", ",\"seccomp\":\"require\"");
  cleanup_policy struct policy *pa = policy_with ("audit", ",\"seccomp\":\"require\"");
  cleanup_policy struct policy *pk = policy_with ("enforce", "");
  struct oci_facts f;
  struct decision d;

  facts_all (&f, KILL);
  f.seccomp = OCI_SECCOMP_NONE;
  enforce_decide (pr, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REFUSED);
  EXPECT (reasons_have (&d, "linux.seccomp is missing, required by seccomp: require"));
  decision_release (&d);
  f.seccomp = OCI_SECCOMP_UNCONFINED;
  enforce_decide (pr, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REFUSED);
  EXPECT (reasons_have (&d, "allows every syscall (unconfined)"));
  decision_release (&d);
  enforce_decide (pa, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_AUDITED);
  decision_release (&d);
  enforce_decide (pk, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_ALLOWED);
  decision_release (&d);
  f.seccomp = OCI_SECCOMP_CONFINED;
  enforce_decide (pr, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_ALLOWED);
  decision_release (&d);
  return 0;
}

static int
test_seccomp_baseline (void)
{
  cleanup_policy struct policy *pr = policy_with ("rewrite", ",\"seccomp\":\"baseline\"");
  cleanup_policy struct policy *pe = policy_with ("enforce", ",\"seccomp\":\"baseline\"");
  cleanup_policy struct policy *pa = policy_with ("audit", ",\"seccomp\":\"baseline\"");
  struct oci_facts f;
  struct decision d;

  facts_all (&f, KILL);
  f.seccomp = OCI_SECCOMP_UNCONFINED;
  enforce_decide (pr, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REWRITTEN && d.set_seccomp);
  EXPECT (reasons_have (&d, "linux.seccomp allows every syscall (unconfined): the node's seccomp "
                            "baseline (<built-in baseline>) is required"));
  decision_release (&d);
  enforce_decide (pr, &f, ENFORCE_CHECK_ONLY, &d);
  EXPECT (d.outcome == ENFORCE_REFUSED && !d.set_seccomp);
  EXPECT (reasons_have (&d, "no rewrite step ran"));
  decision_release (&d);
  enforce_decide (pe, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REFUSED && !d.set_seccomp);
  decision_release (&d);
  enforce_decide (pa, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_AUDITED && !d.set_seccomp);
  decision_release (&d);
  /* A container with a profile keeps it.  */
  f.seccomp = OCI_SECCOMP_CONFINED;
  enforce_decide (pr, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_ALLOWED && !d.set_seccomp);
  decision_release (&d);
  return 0;
}

static int
test_ping_group_range_auto (void)
{
  cleanup_policy struct policy *pr = policy_with ("rewrite", ",\"pingGroupRange\":\"auto\"");
  cleanup_policy struct policy *pe = policy_with ("enforce", ",\"pingGroupRange\":\"auto\"");
  cleanup_policy struct policy *pk = policy_with ("rewrite", "");
  struct oci_facts f;
  struct decision d;

  facts_all (&f, KILL);
  f.network_ns = true;
  enforce_decide (pr, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REWRITTEN && d.set_ping);
  EXPECT (reasons_have (&d, "net.ipv4.ping_group_range set to `0 2147483647`"));
  decision_release (&d);
  /* NET_RAW in the request but clamped away: the final set is what counts.  */
  f.sets[CAPSET_BOUNDING] |= NET_RAW;
  enforce_decide (pr, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.set_ping);
  decision_release (&d);
  facts_all (&f, KILL);
  f.network_ns = true;
  /* Not for the host's network, not over a value already set, not under
     enforce, never in a check-only stage, not when the policy keeps it.  */
  f.network_ns = false;
  enforce_decide (pr, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_ALLOWED && !d.set_ping);
  decision_release (&d);
  f.network_ns = true;
  f.ping_sysctl = true;
  enforce_decide (pr, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_ALLOWED && !d.set_ping);
  decision_release (&d);
  f.ping_sysctl = false;
  enforce_decide (pe, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_ALLOWED && !d.set_ping);
  decision_release (&d);
  enforce_decide (pr, &f, ENFORCE_CHECK_ONLY, &d);
  EXPECT (d.outcome == ENFORCE_ALLOWED && !d.set_ping);
  decision_release (&d);
  enforce_decide (pk, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_ALLOWED && !d.set_ping);
  decision_release (&d);
  return 0;
}

static int
test_ping_not_when_net_raw_is_kept (void)
{
  cleanup_policy struct policy *p = NULL;
  cleanup_error struct error *err = NULL;
  const char *text
      = "{\"version\":1,\"capabilities\":{\"allow\":[\"NET_RAW\"]},\"pingGroupRange\":\"auto\"}";
  struct oci_facts f;
  struct decision d;

  p = policy_parse (text, strlen (text), "t", LAST, 0, &err);
  EXPECT (p != NULL);
  facts_all (&f, 0);
  f.sets[CAPSET_BOUNDING] = NET_RAW;
  f.network_ns = true;
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_ALLOWED && !d.set_ping);
  decision_release (&d);
  return 0;
}

/* A pod sandbox is rewritten down, never refused for its capabilities
   (SPEC §4): enforce clamps it, deny removes, a check-only stage lets it
   through as audited, audit changes nothing.  */
static int
test_sandbox_is_rewritten_never_refused (void)
{
  static const struct
  {
    const char *action;
    enum enforce_stage stage;
    enum enforce_outcome want;
  } cases[] = {
    { "enforce", ENFORCE_CAN_REWRITE, ENFORCE_REWRITTEN },
    { "rewrite", ENFORCE_CAN_REWRITE, ENFORCE_REWRITTEN },
    { "enforce", ENFORCE_CHECK_ONLY, ENFORCE_AUDITED },
    { "rewrite", ENFORCE_CHECK_ONLY, ENFORCE_AUDITED },
    { "audit", ENFORCE_CAN_REWRITE, ENFORCE_AUDITED },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_policy struct policy *p
          = policy_with (cases[i].action, ",\"noNewPrivileges\":true,\"seccomp\":\"require\"");
      struct oci_facts f;
      struct decision d;

      EXPECT (p != NULL);
      facts_all (&f, KILL | NET_RAW | SYS_ADMIN);
      f.sandbox = true;
      enforce_decide (p, &f, cases[i].stage, &d);
      if (d.outcome != cases[i].want)
        fprintf (stderr, "# case %zu: %s\n", i, enforce_outcome_name (d.outcome));
      EXPECT (d.outcome == cases[i].want);
      EXPECT (reasons_have (&d, "denied by capabilities.deny"));
      if (d.outcome == ENFORCE_REWRITTEN)
        {
          EXPECT (d.final[CAPSET_BOUNDING] == KILL);
          EXPECT (d.set_nnp);
          EXPECT (reasons_have (&d, "not refused: the sandbox runs only the pause process"));
        }
      decision_release (&d);

      /* The same sets in an ordinary container are refused (not under audit).  */
      f.sandbox = false;
      enforce_decide (p, &f, cases[i].stage, &d);
      EXPECT (d.outcome
              == (strcmp (cases[i].action, "audit") == 0 ? ENFORCE_AUDITED : ENFORCE_REFUSED));
      decision_release (&d);
    }
  return 0;
}

/* privileged: refuse takes any one sign; userNamespaces: deny judges the
   profile the container will run with.  */
static int
test_privileged_and_user_namespaces (void)
{
  cleanup_policy struct policy *p
      = policy_with ("rewrite", ",\"privileged\":\"refuse\",\"userNamespaces\":\"deny\"");
  json_auto_t *allow_all = json_pack ("{s:s}", "defaultAction", "SCMP_ACT_ALLOW");
  json_auto_t *denies = json_pack (
      "{s:s, s:[{s:[s,s], s:s, s:i, s:[{s:i, s:I, s:I, s:s}]}, {s:[s], s:s, s:i}]}",
      "defaultAction", "SCMP_ACT_ALLOW", "syscalls", "names", "unshare", "clone", "action",
      "SCMP_ACT_ERRNO", "errnoRet", 1, "args", "index", 0, "value", (json_int_t)0x10000000,
      "valueTwo", (json_int_t)0x10000000, "op", "SCMP_CMP_MASKED_EQ", "names", "clone3", "action",
      "SCMP_ACT_ERRNO", "errnoRet", 38);
  struct oci_facts f;
  struct decision d;

  EXPECT (p != NULL);
  facts_all (&f, KILL);
  f.sets[CAPSET_INHERITABLE] = f.sets[CAPSET_AMBIENT] = 0;
  f.seccomp = OCI_SECCOMP_CONFINED;
  f.seccomp_profile = denies;
  f.privileged = 0;
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_ALLOWED && !d.set_userns);
  decision_release (&d);

  /* Each sign alone is privileged, and the reason names it.  */
  for (unsigned bit = 1; bit <= OCI_PRIVILEGED_SIGNS; bit <<= 1)
    {
      f.privileged = bit;
      enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
      EXPECT (d.outcome == ENFORCE_REFUSED);
      EXPECT (reasons_have (&d, "refused by privileged: refuse"));
      EXPECT (reasons_have (&d, oci_privileged_criterion (bit)));
      /* The same as data: one privileged violation naming that sign.  */
      EXPECT (json_array_size (d.violations) == 1);
      EXPECT_STR (json_string_value (json_object_get (json_array_get (d.violations, 0), "kind")),
                  "privileged");
      EXPECT_STR (json_string_value (json_array_get (
                      json_object_get (json_array_get (d.violations, 0), "signs"), 0)),
                  oci_privileged_sign (bit));
      decision_release (&d);
    }
  /* A sandbox: logged, not refused.  */
  f.sandbox = true;
  f.privileged = OCI_PRIVILEGED_PROC_SYS;
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome != ENFORCE_REFUSED);
  decision_release (&d);
  f.sandbox = false;

  f.privileged = 0;
  f.seccomp_profile = allow_all; /* an ALLOW default with a rule list: confined, but open */
  enforce_decide (p, &f, ENFORCE_CAN_REWRITE, &d);
  EXPECT (d.outcome == ENFORCE_REWRITTEN && d.set_userns);
  EXPECT (reasons_have (&d, "unshare(CLONE_NEWUSER) is allowed"));
  EXPECT_STR (json_string_value (json_object_get (json_array_get (d.violations, 0), "kind")),
              "userNamespaces");
  EXPECT_STR (json_string_value (json_object_get (json_array_get (d.violations, 0), "call")),
              "unshare");
  decision_release (&d);
  enforce_decide (p, &f, ENFORCE_CHECK_ONLY, &d);
  EXPECT (d.outcome == ENFORCE_REFUSED && !d.set_userns);
  decision_release (&d);
  return 0;
}

TAP_MAIN (T (test_privileged_and_user_namespaces), T (test_sandbox_is_rewritten_never_refused),
          T (test_seccomp_baseline), T (test_ping_group_range_auto),
          T (test_ping_not_when_net_raw_is_kept), T (test_seccomp_require),
          T (test_conforming_is_allowed_under_every_action),
          T (test_rewrite_clamps_each_set_to_its_ceiling),
          T (test_deny_refuses_under_rewrite_and_enforce_not_audit), T (test_deny_wins_over_allow),
          T (test_enforce_refuses_excess_audit_reports_it),
          T (test_check_only_stage_refuses_what_rewrite_would_clamp),
          T (test_invariants_restored_after_clamp), T (test_unknown_names_are_not_allowed),
          T (test_no_new_privileges), T (test_rules_select_settings_and_record),
          T (test_conflicting_annotations_are_reported))
