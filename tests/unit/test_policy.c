/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <sys/stat.h>

#include "capset.h"
#include "policy.h"
#include "policy_internal.h"
#include "tap.h"
#include "util.h"

#define LAST 40

static struct policy *
parse (const char *text, char **msg)
{
  cleanup_error struct error *err = NULL;
  struct policy *p = policy_parse (text, strlen (text), "p.json", LAST, 0, &err);

  if (msg)
    *msg = p ? NULL : xstrdup (err->msg);
  return p;
}

/* The policy fails to load with exactly MSG.  */
static int
expect_error (const char *text, const char *msg)
{
  cleanup_free char *got = NULL;
  cleanup_policy struct policy *p = parse (text, &got);

  if (p != NULL)
    {
      fprintf (stderr, "# accepted: %s\n", text);
      return -1;
    }
  if (strcmp (got, msg) != 0)
    {
      fprintf (stderr, "# expected `%s`\n#      got `%s`\n", msg, got);
      return -1;
    }
  return 0;
}

/* Fails with MSG located at the first occurrence of MARKER in TEXT: the
   locator is checked against a plain string search.  */
static int
expect_error_at (const char *text, const char *marker, const char *msg)
{
  cleanup_free char *full = NULL;
  const char *at = strstr (text, marker), *p;
  int line = 1, col = 1;

  if (at == NULL)
    return -1;
  for (p = text; p < at; p++)
    {
      if (*p == '\n')
        line++, col = 1;
      else
        col++;
    }
  xasprintf (&full, "p.json:%d:%d: %s", line, col, msg);
  return expect_error (text, full);
}

#define BASE "{\"version\":1,\"capabilities\":{\"allow\":[\"KILL\"]}"

static int
test_minimal_and_defaults (void)
{
  cleanup_policy struct policy *p = parse (BASE "}", NULL);

  EXPECT (p != NULL);
  EXPECT (p->defaults.action == POLICY_REWRITE);
  EXPECT (p->defaults.allow == capset_bit (5));
  EXPECT (p->defaults.deny == 0 && p->defaults.inheritable == 0 && p->defaults.ambient == 0);
  EXPECT (!p->defaults.no_new_privileges);
  EXPECT (p->log_syslog && p->log_file == NULL && p->runtime == NULL);
  EXPECT (p->n_rules == 0);
  return 0;
}

static int
test_builtin_is_default_json (void)
{
  cleanup_error struct error *err = NULL;
  cleanup_policy struct policy *p
      = policy_parse (policy_builtin_text, policy_builtin_len, "<built-in>", LAST, 0, &err);
  uint64_t crio = 0;
  const char *names[] = { "CHOWN",  "DAC_OVERRIDE", "FSETID",           "FOWNER", "SETGID",
                          "SETUID", "SETPCAP",      "NET_BIND_SERVICE", "KILL" };
  size_t i;

  EXPECT (p != NULL);
  for (i = 0; i < 9; i++)
    {
      int cap;
      EXPECT (capset_parse_policy_name (names[i], LAST, &cap, &err) == 0);
      crio |= capset_bit (cap);
    }
  EXPECT (p->defaults.allow == crio);
  EXPECT (p->defaults.action == POLICY_REWRITE);
  EXPECT (p->defaults.inheritable == 0 && p->defaults.ambient == 0);
  EXPECT (p->n_rules == 1 && p->rules[0].settings.action == POLICY_AUDIT);
  EXPECT (strlen (policy_builtin_text) == policy_builtin_len);
  return 0;
}

static int
test_json_syntax_errors (void)
{
  EXPECT (expect_error ("", "p.json: empty input") == 0);
  EXPECT (expect_error ("{\"version\":1,", "p.json:1:13: string or '}' expected near end of file")
          == 0);
  EXPECT (expect_error ("{\"version\":1,\"capabilities\":{\"allow\":[]}} x",
                        "p.json:1:43: end of file expected near 'x'")
          == 0);
  EXPECT (expect_error ("{\"version\":99999999999999999999999,\"capabilities\":{\"allow\":[]}}",
                        "p.json:1:34: too big integer")
          == 0);
  EXPECT (expect_error ("{\"version\":1,\"capabilities\":{\"allow\":[\"\xff\"]}}",
                        "p.json:1:39: unable to decode byte 0xff near '\"'")
          == 0);
  {
    cleanup_free char *m = NULL;
    cleanup_policy struct policy *p = parse ("{\"version\":1,\n  \"action\": }", &m);
    EXPECT (p == NULL && strncmp (m, "p.json:2:13:", 12) == 0);
  }
  EXPECT (expect_error ("[1]", "p.json:1:1: expected a JSON object at the top level") == 0);
  {
    cleanup_free char *m = NULL;
    cleanup_policy struct policy *p
        = parse (BASE ",\"action\":\"audit\",\"action\":\"rewrite\"}", &m);
    EXPECT (p == NULL && strstr (m, "duplicate object key") != NULL);
  }
  return 0;
}

static int
test_unknown_keys_located (void)
{
  EXPECT (
      expect_error_at ("{\"version\":1,\n \"capabilities\":{\"allow\":[]},\n \"acton\":\"audit\"}",
                       "\"acton\"", "unknown key `acton` in the policy")
      == 0);
  EXPECT (expect_error ("{\"version\":1,\n \"capabilities\":{\"allow\":[]},\n \"acton\":\"audit\"}",
                        "p.json:3:2: unknown key `acton` in the policy")
          == 0);
  EXPECT (expect_error_at ("{\"version\":1,\"capabilities\":{\"allow\":[],\"alow\":[]}}",
                           "\"alow\"", "unknown key `alow` in `capabilities`")
          == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":[{\"name\":\"r\",\"match\":{},\"actoin\":\"x\"}]}",
                           "\"actoin\"", "unknown key `actoin` in a rule")
          == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":[{\"name\":\"r\",\"match\":{\"namespce\":\"x\"}}]}",
                           "\"namespce\"", "unknown key `namespce` in `match`")
          == 0);
  EXPECT (expect_error_at (BASE ",\"log\":{\"sislog\":true}}", "\"sislog\"",
                           "unknown key `sislog` in `log`")
          == 0);
  /* `add` only makes sense in a rule.  */
  EXPECT (expect_error_at ("{\"version\":1,\"capabilities\":{\"allow\":[],\"add\":[]}}", "\"add\"",
                           "unknown key `add` in `capabilities`")
          == 0);
  /* Keys with escapes are found by their decoded text.  */
  EXPECT (expect_error_at ("{\"version\":1,\"capabilities\":{\"allow\":[]},\"\\u0061ction\":1}",
                           "1}", "`action` must be a string")
          == 0);
  return 0;
}

static int
test_wrong_types (void)
{
  EXPECT (expect_error ("{\"capabilities\":{\"allow\":[]}}",
                        "p.json:1:1: `version` is required (this capguard reads version 1)")
          == 0);
  EXPECT (expect_error_at ("{\"version\":2,\"capabilities\":{\"allow\":[]}}", "2",
                           "unsupported `version` (this capguard reads version 1)")
          == 0);
  /* A newer policy's new keys are explained by its version.  */
  EXPECT (expect_error_at ("{\"version\":2,\"newKey\":true,\"capabilities\":{\"allow\":[]}}", "2,",
                           "unsupported `version` (this capguard reads version 1)")
          == 0);
  EXPECT (expect_error_at ("{\"version\":\"1\",\"capabilities\":{\"allow\":[]}}", "\"1\"",
                           "unsupported `version` (this capguard reads version 1)")
          == 0);
  EXPECT (expect_error_at ("{\"version\":1.0,\"capabilities\":{\"allow\":[]}}", "1.0",
                           "unsupported `version` (this capguard reads version 1)")
          == 0);
  EXPECT (expect_error ("{\"version\":1}",
                        "p.json:1:1: `capabilities.allow` is required at the top level")
          == 0);
  EXPECT (expect_error_at ("{\"version\":1,\"capabilities\":{}}", "{}",
                           "`capabilities.allow` is required at the top level")
          == 0);
  EXPECT (expect_error_at ("{\"version\":1,\"capabilities\":{\"allow\":\"KILL\"}}", "\"KILL\"",
                           "`capabilities.allow` must be an array of capability names")
          == 0);
  EXPECT (expect_error_at ("{\"version\":1,\"capabilities\":{\"allow\":[5]}}", "5",
                           "`capabilities.allow` must hold capability names (strings)")
          == 0);
  EXPECT (expect_error_at ("{\"version\":1,\"capabilities\":{\"allow\":[null]}}", "null",
                           "`capabilities.allow` must hold capability names (strings)")
          == 0);
  EXPECT (expect_error_at ("{\"version\":1,\"capabilities\":[]}", "[]",
                           "`capabilities` must be an object")
          == 0);
  EXPECT (
      expect_error_at (BASE ",\"action\":\"deny\"}", "\"deny\"", "`action`: unknown value `deny`")
      == 0);
  EXPECT (expect_error_at (BASE ",\"action\":\"Rewrite\"}", "\"Rewrite\"",
                           "`action`: unknown value `Rewrite`")
          == 0);
  EXPECT (expect_error_at (BASE ",\"action\":1}", "1}", "`action` must be a string") == 0);
  EXPECT (expect_error_at (BASE ",\"noNewPrivileges\":\"yes\"}", "\"yes\"",
                           "`noNewPrivileges` must be true or false")
          == 0);
  EXPECT (expect_error_at (BASE ",\"log\":{\"file\":\"relative.log\"}}", "\"relative.log\"",
                           "`log.file` must be an absolute path")
          == 0);
  EXPECT (
      expect_error_at (BASE ",\"log\":{\"syslog\":0}}", "0}", "`log.syslog` must be true or false")
      == 0);
  EXPECT (expect_error_at (BASE ",\"log\":[]}", "[]}", "`log` must be an object") == 0);
  EXPECT (expect_error_at (BASE ",\"runtime\":\"runc\"}", "\"runc\"",
                           "`runtime` must be an absolute path")
          == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":{}}", "{}}", "`rules` must be an array") == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":[1]}", "1]", "each rule must be an object") == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":[{\"match\":{}}]}", "{\"match",
                           "each rule needs a `name` (a non-empty string)")
          == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":[{\"name\":\"\",\"match\":{}}]}", "\"\"",
                           "each rule needs a `name` (a non-empty string)")
          == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":[{\"name\":\"r\"}]}", "{\"name",
                           "rule `r` has no `match` (use {} to match everything)")
          == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":[{\"name\":\"r\",\"match\":[]}]}", "[]}",
                           "`match` must be an object")
          == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":[{\"name\":\"r\",\"match\":{\"uid\":-1}}]}", "-1",
                           "`uid` must be an integer from 0 to 4294967295")
          == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":[{\"name\":\"r\",\"match\":{\"uid\":4294967296}}]}",
                           "4294967296", "`uid` must be an integer from 0 to 4294967295")
          == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":[{\"name\":\"r\",\"match\":{\"namespace\":[\"a\"]}}]}",
                           "[\"a\"]", "`namespace` must be a string (a POSIX extended regex)")
          == 0);
  EXPECT (expect_error_at (BASE ",\"rules\":[{\"name\":\"r\",\"match\":{\"annotations\":[]}}]}",
                           "[]}", "`annotations` must be an object of `key: regex`")
          == 0);
  return 0;
}

static int
test_bad_capability_names_located (void)
{
  EXPECT (expect_error ("{\"version\":1,\n\"capabilities\":{\"allow\":[\"KILL\",\"NET_RAWW\"]}}",
                        "p.json:2:33: in `capabilities.allow`: `NET_RAWW` is not a capability this "
                        "kernel knows (cap_last_cap is 40)")
          == 0);
  EXPECT (
      expect_error_at ("{\"version\":1,\"capabilities\":{\"allow\":[\"CAP_KILL,CAP_SYS_ADMIN\"]}}",
                       "\"CAP_KILL,",
                       "in `capabilities.allow`: `CAP_KILL,CAP_SYS_ADMIN` is not a "
                       "capability name (only letters and `_`)")
      == 0);
  EXPECT (expect_error_at (
              BASE
              ",\"rules\":[{\"name\":\"r\",\"match\":{},\"capabilities\":{\"add\":[\"12\"]}}]}",
              "\"12\"",
              "in `capabilities.add`: `12` is not a capability name (only "
              "letters and `_`)")
          == 0);
  EXPECT (
      expect_error_at ("{\"version\":1,\"capabilities\":{\"allow\":[],\"deny\":[\"KILL\",\"\"]}}",
                       "\"\"]", "in `capabilities.deny`: empty capability name")
      == 0);
  EXPECT (expect_error_at ("{\"version\":1,\"capabilities\":{\"allow\":[],\"ambient\":[\"CAP_\"]}}",
                           "\"CAP_\"", "in `capabilities.ambient`: `CAP_` is not a capability name")
          == 0);
  return 0;
}

static int
test_regex_errors_and_unsupported (void)
{
  cleanup_free char *m = NULL;
  cleanup_policy struct policy *p
      = parse (BASE ",\"rules\":[{\"name\":\"r\",\"match\":{\"pod\":\"a(\"}}]}", &m);

  EXPECT (p == NULL && strstr (m, ": `pod`: invalid regex `a(`: ") != NULL);
  EXPECT (expect_error_at (
              BASE ",\"rules\":[{\"name\":\"r\",\"match\":{\"annotations\":{\"k\":\"[\"}}}]}",
              "\"[\"", "`k`: invalid regex `[`: Invalid regular expression")
          == 0);
  EXPECT (expect_error_at (BASE ",\"seccomp\":\"strict\"}", "\"strict\"",
                           "`seccomp`: unknown value `strict`")
          == 0);
  EXPECT (expect_error_at (BASE ",\"pingGroupRange\":\"on\"}", "\"on\"",
                           "`pingGroupRange`: unknown value `on`")
          == 0);
  EXPECT (expect_error_at (BASE ",\"seccompProfile\":\"x.json\"}", "\"x.json\"",
                           "`seccompProfile` must be an absolute path")
          == 0);
  EXPECT (expect_error_at (BASE ",\"seccompProfile\":\"/nonexistent/x.json\"}", "\"/nonexistent",
                           "seccomp profile `/nonexistent/x.json`: No such file or directory")
          == 0);
  return 0;
}

static int
test_seccomp_and_ping (void)
{
  cleanup_policy struct policy *p
      = parse (BASE ",\"seccomp\":\"baseline\",\"pingGroupRange\":\"auto\",\"rules\":["
                    "{\"name\":\"keep\",\"match\":{\"pod\":\"k\"},\"seccomp\":\"keep\","
                    "\"pingGroupRange\":\"keep\"},"
                    "{\"name\":\"inherit\",\"match\":{}}]}",
               NULL);
  json_t *rule = NULL;
  size_t i;

  EXPECT (p != NULL);
  EXPECT (p->defaults.seccomp == POLICY_SECCOMP_BASELINE);
  EXPECT (p->defaults.ping_group_range == POLICY_PING_AUTO);
  EXPECT_STR (p->defaults.seccomp_profile_source, "<built-in baseline>");
  EXPECT (p->rules[0].settings.seccomp == POLICY_SECCOMP_KEEP);
  EXPECT (p->rules[0].settings.ping_group_range == POLICY_PING_KEEP);
  /* The rule that inherits baseline shares the one built-in profile.  */
  EXPECT (p->rules[1].settings.seccomp_profile == p->defaults.seccomp_profile);
  /* The built-in baseline refuses user namespaces through unshare and clone.  */
  EXPECT_STR (json_string_value (json_object_get (p->defaults.seccomp_profile, "defaultAction")),
              "SCMP_ACT_ALLOW");
  json_array_foreach (json_object_get (p->defaults.seccomp_profile, "syscalls"), i, rule)
    if (strcmp (json_string_value (json_array_get (json_object_get (rule, "names"), 0)), "unshare")
        == 0)
      break;
  EXPECT (i < json_array_size (json_object_get (p->defaults.seccomp_profile, "syscalls")));
  EXPECT (json_integer_value (
              json_object_get (json_array_get (json_object_get (rule, "args"), 0), "value"))
          == 0x10000000);
  return 0;
}

static int
write_text (const char *path, const char *text)
{
  FILE *f = fopen (path, "w");
  int r;

  if (f == NULL)
    return -1;
  r = fputs (text, f) < 0 ? -1 : 0;
  return fclose (f) == 0 ? r : -1;
}

/* A profile file with TEXT: the policy naming it fails with MSG (or loads
   when MSG is NULL).  */
static int
expect_profile (const char *text, const char *msg)
{
  char dir[] = "/tmp/capguard-profile-XXXXXX";
  cleanup_free char *file = NULL, *policy = NULL, *got = NULL, *full = NULL;
  struct policy *p;

  if (mkdtemp (dir) == NULL || chmod (dir, 0755) < 0)
    return -1;
  xasprintf (&file, "%s/profile.json", dir);
  if (write_text (file, text) < 0 || chmod (file, 0644) < 0)
    return -1;
  xasprintf (&policy, BASE ",\"seccomp\":\"baseline\",\"seccompProfile\":\"%s\"}", file);
  p = parse (policy, &got);
  unlink (file);
  rmdir (dir);
  if (msg == NULL)
    {
      bool ok = p != NULL && strcmp (p->defaults.seccomp_profile_source, file) == 0;
      policy_free (p);
      if (!ok)
        fprintf (stderr, "# refused: %s\n", got);
      return ok ? 0 : -1;
    }
  policy_free (p);
  xasprintf (&full, "%s:%s", file, msg);
  if (p != NULL || got == NULL || strcmp (got, full) != 0)
    {
      fprintf (stderr, "# expected `%s`\n#      got `%s`\n", full, got ? got : "(accepted)");
      return -1;
    }
  return 0;
}

static int
test_seccomp_profile_checked_by_libseccomp (void)
{
  EXPECT (expect_profile (
              "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86_64\","
              "\"SCMP_ARCH_AARCH64\"],\"syscalls\":[{\"names\":[\"read\",\"write\"],"
              "\"action\":\"SCMP_ACT_ALLOW\"}]}",
              NULL)
          == 0);
  EXPECT (
      expect_profile ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\",\n"
                      "  \"frobnicate\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
                      "2:3: syscall `frobnicate` is not known to libseccomp")
      == 0);
  EXPECT (expect_profile (
              "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_X86_64\","
              "\"SCMP_ARCH_VAX\"]}",
              "1:71: architecture `SCMP_ARCH_VAX` is not known to libseccomp")
          == 0);
  EXPECT (expect_profile ("{\"defaultAction\":\"SCMP_ACT_MAYBE\"}",
                          "1:18: `defaultAction` must be one of the SCMP_ACT_* actions")
          == 0);
  EXPECT (
      expect_profile ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
                      "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":7,\"value\":1,\"op\":"
                      "\"SCMP_CMP_EQ\"}]}]}",
                      "1:108: `index` must be 0 to 5")
      == 0);
  EXPECT (expect_profile ("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscals\":[]}",
                          "1:35: unknown key `syscals` in the seccomp profile")
          == 0);
  EXPECT (expect_profile ("[]", "1:1: expected a JSON object at the top level") == 0);
  return 0;
}

static int
test_allow_and_add_exclusive (void)
{
  return expect_error_at (
      BASE ",\"rules\":[{\"name\":\"r\",\"match\":{},\"capabilities\":{\"allow\":[],\"add\":[]}}]}",
      "\"add\"", "`capabilities.allow` replaces the ceiling and `add` extends it: give one");
}

static int
test_rule_overrides (void)
{
  cleanup_policy struct policy *p = parse (
      "{\"version\":1,\"action\":\"enforce\",\"capabilities\":{\"allow\":[\"KILL\",\"CHOWN\"],"
      "\"deny\":[\"SYS_ADMIN\"]},\"noNewPrivileges\":true,\"rules\":["
      "{\"name\":\"add\",\"match\":{\"pod\":\"a\"},\"capabilities\":{\"add\":[\"NET_RAW\"]}},"
      "{\"name\":\"replace\",\"match\":{\"pod\":\"b\"},\"action\":\"audit\","
      "\"capabilities\":{\"allow\":[\"NET_RAW\"],\"deny\":[],\"ambient\":[\"NET_RAW\"],"
      "\"inheritable\":[\"ALL\"]},\"noNewPrivileges\":false},"
      "{\"name\":\"all\",\"match\":{},\"capabilities\":{\"allow\":[\"all\"]}}]}",
      NULL);
  const struct policy_settings *s;

  EXPECT (p != NULL && p->n_rules == 3);
  s = &p->rules[0].settings;
  EXPECT (s->action == POLICY_ENFORCE);
  EXPECT (s->allow == (capset_bit (5) | capset_bit (0) | capset_bit (13)));
  EXPECT (s->deny == capset_bit (21));
  EXPECT (s->no_new_privileges);
  s = &p->rules[1].settings;
  EXPECT (s->action == POLICY_AUDIT);
  EXPECT (s->allow == capset_bit (13) && s->deny == 0 && s->ambient == capset_bit (13));
  EXPECT (s->inheritable == capset_all (LAST));
  EXPECT (!s->no_new_privileges);
  EXPECT (p->rules[2].settings.allow == capset_all (LAST));
  /* The top level is untouched by the rules.  */
  EXPECT (p->defaults.allow == (capset_bit (5) | capset_bit (0)));
  return 0;
}

static const struct policy_rule *
select_ns (const struct policy *p, const char *ns, const char *container)
{
  struct policy_subject s = { 0 };
  const char *broken;

  s.fields[FIELD_NAMESPACE] = ns;
  s.fields[FIELD_CONTAINER] = container;
  return policy_select (p, &s, &broken);
}

static int
test_whole_value_matching (void)
{
  cleanup_policy struct policy *p
      = parse (BASE ",\"rules\":[{\"name\":\"ks\",\"match\":{\"namespace\":\"kube-system\","
                    "\"container\":\"kube-proxy|calico-node\"}},"
                    "{\"name\":\"alt\",\"match\":{\"namespace\":\"a|ab\"}},"
                    "{\"name\":\"empty\",\"match\":{\"namespace\":\"\"}}]}",
               NULL);
  const struct policy_rule *r;

  EXPECT (p != NULL);
  r = select_ns (p, "kube-system", "kube-proxy");
  EXPECT (r && strcmp (r->name, "ks") == 0);
  r = select_ns (p, "kube-system", "calico-node");
  EXPECT (r && strcmp (r->name, "ks") == 0);
  EXPECT (select_ns (p, "not-kube-system", "kube-proxy") == NULL);
  EXPECT (select_ns (p, "kube-system-x", "kube-proxy") == NULL);
  EXPECT (select_ns (p, "kube-system", "kube-proxy-evil") == NULL);
  EXPECT (select_ns (p, "kube-system", "x-calico-node") == NULL);
  /* All keys must hold; a missing value never matches.  */
  EXPECT (select_ns (p, "kube-system", NULL) == NULL);
  EXPECT (select_ns (p, NULL, NULL) == NULL);
  /* Leftmost-longest: `a|ab` matches the whole of `ab`.  */
  r = select_ns (p, "ab", NULL);
  EXPECT (r && strcmp (r->name, "alt") == 0);
  EXPECT (select_ns (p, "abc", NULL) == NULL);
  r = select_ns (p, "", NULL);
  EXPECT (r && strcmp (r->name, "empty") == 0);
  return 0;
}

static int
test_first_rule_wins_and_uid_annotations (void)
{
  cleanup_policy struct policy *p = parse (
      BASE ",\"rules\":[{\"name\":\"uid\",\"match\":{\"uid\":1000,\"command\":\"/bin/.*\"}},"
           "{\"name\":\"ann\",\"match\":{\"annotations\":{\"team\":\"net(work)?\"}}},"
           "{\"name\":\"any\",\"match\":{}}]}",
      NULL);
  json_auto_t *ann = json_pack ("{s:s}", "team", "network");
  json_auto_t *ann_bad = json_pack ("{s:s}", "team", "networks");
  const char *broken;
  struct policy_subject s = { 0 };
  const struct policy_rule *r;

  EXPECT (p != NULL);
  s.has_uid = true;
  s.uid = 1000;
  s.fields[FIELD_COMMAND] = "/bin/sh";
  r = policy_select (p, &s, &broken);
  EXPECT (r && strcmp (r->name, "uid") == 0);
  s.uid = 0;
  r = policy_select (p, &s, &broken);
  EXPECT (r && strcmp (r->name, "any") == 0);
  s.annotations = ann;
  r = policy_select (p, &s, &broken);
  EXPECT (r && strcmp (r->name, "ann") == 0);
  s.annotations = ann_bad;
  r = policy_select (p, &s, &broken);
  EXPECT (r && strcmp (r->name, "any") == 0);
  s.has_uid = false;
  s.uid = 1000;
  r = policy_select (p, &s, &broken);
  EXPECT (r && strcmp (r->name, "any") == 0);
  return 0;
}

static int
write_file (const char *path, const char *text, mode_t mode)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  struct error *err = NULL;

  if (fd < 0 || util_write_all (fd, text, strlen (text), &err) < 0)
    return -1;
  return fchmod (fd, mode);
}

static int
test_costly_regexes_refused (void)
{
  static const struct
  {
    const char *pattern, *why;
  } cases[] = {
    { "kube-++++++++", "two repetition operators in a row (undefined in POSIX regexes)" },
    { "a*+", "two repetition operators in a row (undefined in POSIX regexes)" },
    { "a{2}{3}", "two repetition operators in a row (undefined in POSIX regexes)" },
    { "a{256}", "repetition bounds over 255 in all" },
    { "a{1,300}", "repetition bounds over 255 in all" },
    { "((a{255}){255}){255}", "repetition bounds over 255 in all" },
  };
  static const char *const fine[]
      = { "kube-system", "(ab)+c", "a|b*", "[+*]+", "x{2,}", "a{200}b{55}", "[]+]*", "(a+)+" };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_free char *text = NULL, *msg = NULL;
      xasprintf (&text, BASE ",\"rules\":[{\"name\":\"r\",\"match\":{\"pod\":\"%s\"}}]}",
                 cases[i].pattern);
      xasprintf (&msg, "`pod`: regex refused: %s", cases[i].why);
      {
        cleanup_free char *got = NULL;
        cleanup_policy struct policy *p = parse (text, &got);
        if (p != NULL || strstr (got, msg) == NULL)
          {
            fprintf (stderr, "# %s: %s\n", cases[i].pattern, got ? got : "accepted");
            return -1;
          }
      }
    }
  for (i = 0; i < sizeof fine / sizeof fine[0]; i++)
    {
      cleanup_free char *text = NULL, *got = NULL;
      cleanup_policy struct policy *p = NULL;
      xasprintf (&text, BASE ",\"rules\":[{\"name\":\"r\",\"match\":{\"pod\":\"%s\"}}]}", fine[i]);
      p = parse (text, &got);
      if (p == NULL)
        {
          fprintf (stderr, "# %s refused: %s\n", fine[i], got);
          return -1;
        }
    }
  return 0;
}

static int
test_deferred_regex_fails_closed (void)
{
  cleanup_policy struct policy *p = NULL;
  struct policy_subject s = { 0 };
  const char *broken;
  const struct policy_rule *r;

  const char *text = BASE ",\"rules\":[{\"name\":\"ok\",\"match\":{\"pod\":\"a\"}},"
                          "{\"name\":\"bad\",\"match\":{\"pod\":\"b(\"}}]}";
  cleanup_error struct error *err = NULL;

  p = policy_parse (text, strlen (text), "p.json", LAST, POLICY_HOT, &err);
  EXPECT (p != NULL);
  /* Nothing was compiled at load.  */
  EXPECT (!policy_regex_compiled (p, &p->rules[0].field[FIELD_POD]));
  s.fields[FIELD_POD] = "a";
  r = policy_select (p, &s, &broken);
  EXPECT (r == &p->rules[0] && broken == NULL);
  EXPECT (!policy_regex_compiled (p, &p->rules[1].field[FIELD_POD])
          && "a rule not reached is not compiled");
  s.fields[FIELD_POD] = "c";
  r = policy_select (p, &s, &broken);
  EXPECT (r == NULL && broken != NULL);
  EXPECT_STR (broken, "`pod`: invalid regex `b(`: Unmatched ( or \\(");
  return 0;
}

static int
test_load_ownership_and_modes (void)
{
  char dir[] = "/tmp/capguard-policy-XXXXXX";
  cleanup_free char *file = NULL, *link = NULL;
  cleanup_error struct error *err = NULL;
  struct policy *p;

  if (mkdtemp (dir) == NULL)
    return -1;
  xasprintf (&file, "%s/policy.json", dir);
  xasprintf (&link, "%s/link.json", dir);
  EXPECT (write_file (file, BASE "}", 0644) == 0);

  p = policy_load (file, LAST, 0, &err);
  EXPECT (p != NULL);
  policy_free (p);

  EXPECT (symlink ("policy.json", link) == 0);
  p = policy_load (link, LAST, 0, &err);
  EXPECT (p != NULL);
  policy_free (p);

  EXPECT (chmod (file, 0664) == 0);
  error_free (&err);
  EXPECT (policy_load (file, LAST, 0, &err) == NULL);
  EXPECT (strstr (err->msg, "writable by group or others (mode 0664)") != NULL);
  EXPECT (chmod (file, 0646) == 0);
  error_free (&err);
  EXPECT (policy_load (file, LAST, 0, &err) == NULL);
  EXPECT (chmod (file, 0600) == 0);

  EXPECT (chmod (dir, 0777) == 0);
  error_free (&err);
  EXPECT (policy_load (file, LAST, 0, &err) == NULL);
  EXPECT (strstr (err->msg, "policy directory") != NULL);
  EXPECT (chmod (dir, 0700) == 0);

  if (geteuid () == 0)
    {
      EXPECT (chown (file, 12345, 0) == 0);
      error_free (&err);
      EXPECT (policy_load (file, LAST, 0, &err) == NULL);
      EXPECT (strstr (err->msg, "owned by uid 12345") != NULL);
      EXPECT (chown (file, 0, 0) == 0);
    }

  EXPECT (unlink (file) == 0);
  /* A named policy that is missing is an error, never the built-in.  */
  error_free (&err);
  EXPECT (policy_load (file, LAST, 0, &err) == NULL);
  EXPECT (strstr (err->msg, "No such file") != NULL);
  unlink (link);
  rmdir (dir);
  return 0;
}

static int
test_default_path_falls_back_only_when_absent (void)
{
  char dir[] = "/tmp/capguard-default-XXXXXX";
  cleanup_free char *file = NULL;
  cleanup_error struct error *err = NULL;
  struct policy *p;

  if (mkdtemp (dir) == NULL)
    return -1;
  xasprintf (&file, "%s/policy.json", dir);
  p = policy_load_default (file, LAST, 0, &err);
  EXPECT (p != NULL && strcmp (p->source, "<built-in>") == 0);
  policy_free (p);

  /* A dangling symlink is an administrator's policy gone missing.  */
  EXPECT (symlink ("/nonexistent/capguard.json", file) == 0);
  error_free (&err);
  EXPECT (policy_load_default (file, LAST, 0, &err) == NULL);
  EXPECT (strstr (err->msg, "No such file or directory") != NULL);
  unlink (file);

  EXPECT (write_file (file, BASE "}", 0644) == 0);
  p = policy_load_default (file, LAST, 0, &err);
  EXPECT (p != NULL && strcmp (p->source, file) == 0);
  policy_free (p);
  unlink (file);
  rmdir (dir);
  return 0;
}

static int
test_load_not_regular (void)
{
  static const char *const paths[] = { "/dev/null", "/", "/proc" };
  size_t i;

  for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
    {
      cleanup_error struct error *err = NULL;
      EXPECT (policy_load (paths[i], LAST, 0, &err) == NULL);
      EXPECT (err && strstr (err->msg, "is not a regular file"));
    }
  return 0;
}

TAP_MAIN (T (test_minimal_and_defaults), T (test_builtin_is_default_json),
          T (test_json_syntax_errors), T (test_unknown_keys_located), T (test_wrong_types),
          T (test_bad_capability_names_located), T (test_regex_errors_and_unsupported),
          T (test_rule_overrides), T (test_seccomp_and_ping),
          T (test_seccomp_profile_checked_by_libseccomp), T (test_allow_and_add_exclusive),
          T (test_whole_value_matching), T (test_first_rule_wins_and_uid_annotations),
          T (test_costly_regexes_refused), T (test_deferred_regex_fails_closed),
          T (test_load_ownership_and_modes), T (test_default_path_falls_back_only_when_absent),
          T (test_load_not_regular))
