/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>

#include "oci.h"
#include "tap.h"
#include "util.h"

#define LAST 40

static json_t *
parse (const char *text, char **msg)
{
  cleanup_error struct error *err = NULL;
  json_t *doc = oci_config_parse (text, strlen (text), "c.json", &err);

  if (msg)
    *msg = doc ? NULL : xstrdup (err->msg);
  return doc;
}

static int
expect_refused (const char *text, const char *needle)
{
  cleanup_free char *msg = NULL;
  json_auto_t *doc = parse (text, &msg);

  if (doc)
    {
      fprintf (stderr, "# accepted: %s\n", text);
      return -1;
    }
  if (strstr (msg, needle) == NULL)
    {
      fprintf (stderr, "# expected `%s` in `%s`\n", needle, msg);
      return -1;
    }
  return 0;
}

static int
test_runc_would_read_differently (void)
{
  EXPECT (expect_refused ("{\"process\":{},\"Process\":{}}",
                          "key `Process` would be read by runc as `process`")
          == 0);
  EXPECT (expect_refused ("{\"PROCESS\":{}}", "`PROCESS`") == 0);
  /* Go folds U+017F (long s) to s and U+212A (Kelvin) to k.  */
  EXPECT (expect_refused ("{\"proce\xc5\xbfs\":{}}", "would be read by runc as `process`") == 0);
  EXPECT (expect_refused ("{\"process\":{\"Capabilities\":{}}}", "process: key `Capabilities`")
          == 0);
  EXPECT (expect_refused ("{\"process\":{\"capabilities\":{\"BOUNDING\":[]}}}",
                          "process.capabilities: key `BOUNDING`")
          == 0);
  EXPECT (expect_refused (
              "{\"process\":{\"capabilities\":{\"bounding\":[],\"Bounding\":[\"CAP_SYS_ADMIN\"]}}}",
              "key `Bounding`")
          == 0);
  EXPECT (expect_refused ("{\"process\":{\"user\":{\"UID\":0}}}", "process.user: key `UID`") == 0);
  /* Every object runc reads below linux, and the mounts: seccomp, its rules and their
     arguments, devices, namespaces, resources.  */
  EXPECT (
      expect_refused ("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
                      "\"DefaultAction\":\"SCMP_ACT_ALLOW\"}}}",
                      "linux.seccomp: key `DefaultAction` would be read by runc as `defaultAction`")
      == 0);
  EXPECT (expect_refused ("{\"linux\":{\"seccomp\":{\"syscalls\":[{\"names\":[\"unshare\"],"
                          "\"Action\":\"SCMP_ACT_ALLOW\"}]}}}",
                          "linux.seccomp.syscalls[0]: key `Action`")
          == 0);
  EXPECT (expect_refused ("{\"linux\":{\"seccomp\":{\"syscalls\":[{\"names\":[\"unshare\"],"
                          "\"args\":[{\"index\":0,\"Op\":\"SCMP_CMP_EQ\"}]}]}}}",
                          "linux.seccomp.syscalls[0].args[0]: key `Op`")
          == 0);
  EXPECT (expect_refused ("{\"mounts\":[{\"destination\":\"/a\",\"Destination\":\"/b\"}]}",
                          "mounts[0]: key `Destination`")
          == 0);
  EXPECT (expect_refused ("{\"linux\":{\"devices\":[{\"Path\":\"/dev/x\"}]}}",
                          "linux.devices[0]: key `Path`")
          == 0);
  EXPECT (expect_refused ("{\"linux\":{\"namespaces\":[{\"type\":\"network\",\"PATH\":\"/x\"}]}}",
                          "linux.namespaces[0]: key `PATH`")
          == 0);
  EXPECT (expect_refused ("{\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,"
                          "\"Allow\":true}]}}}",
                          "linux.resources.devices[0]: key `Allow`")
          == 0);
  EXPECT (expect_refused ("{\"process\":{\"noNewPrivileges\":false,\"nonewprivileges\":true}}",
                          "`nonewprivileges`")
          == 0);
  EXPECT (expect_refused ("{\"linux\":{\"Seccomp\":null}}", "linux: key `Seccomp`") == 0);
  EXPECT (expect_refused (
              "{\"process\":{\"capabilities\":{\"ambient\":[],\"ambient\":[\"CAP_KILL\"]}}}",
              "duplicate object key")
          == 0);
  /* Unrelated keys that only look alike pass.  */
  {
    json_auto_t *doc
        = parse ("{\"processes\":1,\"x-process\":2,\"annotations\":{\"Process\":\"x\"}}", NULL);
    EXPECT (doc != NULL);
  }
  return 0;
}

static int
test_bad_json (void)
{
  EXPECT (expect_refused ("", "empty input") == 0);
  EXPECT (expect_refused ("{\"process\":", "c.json:1:11:") == 0);
  EXPECT (expect_refused ("[]", "expected a JSON object") == 0);
  EXPECT (expect_refused ("null", "expected near 'null'") == 0);
  EXPECT (expect_refused ("\"x\"", "expected near '\"x\"'") == 0);
  EXPECT (expect_refused ("{\"a\":18446744073709551615}", "too big integer") == 0);
  EXPECT (expect_refused ("{\"a\":\"\xc3\x28\"}", "unable to decode byte") == 0);
  EXPECT (expect_refused ("{\"a\":\"\\u0000\"}", "\\u0000 is not allowed") == 0);
  EXPECT (expect_refused ("{} {}", "end of file expected") == 0);
  return 0;
}

/* Facts borrow from the document: the document stays alive in *DOC.  */
static int
facts_of (const char *text, struct oci_facts *facts, char **msg, json_t **doc)
{
  cleanup_error struct error *err = NULL;

  *doc = parse (text, msg);
  if (*doc == NULL)
    return -1;
  if (oci_config_facts (*doc, LAST, facts, &err) < 0)
    {
      if (msg)
        *msg = xstrdup (err->msg);
      oci_facts_release (facts);
      return -1;
    }
  return 0;
}

static int
expect_facts_error (const char *text, const char *msg)
{
  cleanup_free char *got = NULL;
  json_auto_t *doc = NULL;
  struct oci_facts f;

  if (facts_of (text, &f, &got, &doc) == 0)
    {
      fprintf (stderr, "# accepted: %s\n", text);
      oci_facts_release (&f);
      return -1;
    }
  if (got == NULL || strcmp (got, msg) != 0)
    {
      fprintf (stderr, "# expected `%s`, got `%s`\n", msg, got ? got : "(null)");
      return -1;
    }
  return 0;
}

static int
test_wrong_types (void)
{
  EXPECT (expect_facts_error ("{\"process\":[]}", "process: expected an object") == 0);
  EXPECT (expect_facts_error ("{\"process\":{\"capabilities\":[]}}",
                              "process.capabilities: expected an object")
          == 0);
  EXPECT (expect_facts_error ("{\"process\":{\"capabilities\":{\"bounding\":\"CAP_KILL\"}}}",
                              "process.capabilities.bounding: expected an array of strings")
          == 0);
  EXPECT (expect_facts_error ("{\"process\":{\"capabilities\":{\"effective\":[\"CAP_KILL\",5]}}}",
                              "process.capabilities.effective[1]: expected a string")
          == 0);
  EXPECT (expect_facts_error ("{\"process\":{\"noNewPrivileges\":\"true\"}}",
                              "process.noNewPrivileges: expected a boolean")
          == 0);
  EXPECT (expect_facts_error ("{\"process\":{\"args\":\"sh\"}}",
                              "process.args: expected an array of strings")
          == 0);
  EXPECT (expect_facts_error ("{\"process\":{\"args\":[1]}}", "process.args[0]: expected a string")
          == 0);
  EXPECT (expect_facts_error ("{\"process\":{\"user\":{\"uid\":-1}}}",
                              "process.user.uid: expected an integer from 0 to 4294967295")
          == 0);
  EXPECT (expect_facts_error ("{\"process\":{\"user\":{\"uid\":4294967296}}}",
                              "process.user.uid: expected an integer from 0 to 4294967295")
          == 0);
  EXPECT (expect_facts_error ("{\"process\":{\"user\":{\"uid\":\"0\"}}}",
                              "process.user.uid: expected an integer from 0 to 4294967295")
          == 0);
  EXPECT (expect_facts_error ("{\"annotations\":[]}", "annotations: expected an object of strings")
          == 0);
  EXPECT (expect_facts_error ("{\"annotations\":{\"a\":1}}", "annotations.a: expected a string")
          == 0);
  return 0;
}

static int
test_facts_of_sets (void)
{
  json_auto_t *doc = NULL, *empty = NULL;
  struct oci_facts f;

  EXPECT (facts_of ("{\"process\":{\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_SYS_ADMIN\","
                    "\"cap_net_raw\",\"CAP_FOO\",\"CAP_KILL\"],\"effective\":null,"
                    "\"ambient\":[]},\"noNewPrivileges\":true,\"args\":[\"/bin/sh\",\"-c\"],"
                    "\"user\":{\"uid\":1000}}}",
                    &f, NULL, &doc)
          == 0);
  EXPECT (f.caps_present);
  EXPECT (f.sets[CAPSET_BOUNDING] == (capset_bit (5) | capset_bit (21)));
  EXPECT (f.set_present[CAPSET_BOUNDING] && !f.set_present[CAPSET_EFFECTIVE]);
  EXPECT (f.set_present[CAPSET_AMBIENT] && f.sets[CAPSET_AMBIENT] == 0);
  {
    cleanup_free char *text = oci_names_text (f.unknown[CAPSET_BOUNDING]);
    EXPECT (json_array_size (f.unknown[CAPSET_BOUNDING]) == 2);
    EXPECT_STR (text, "\"cap_net_raw\" \"CAP_FOO\"");
  }
  EXPECT (f.unknown[CAPSET_EFFECTIVE] == NULL);
  EXPECT (f.no_new_privileges == 1);
  EXPECT_STR (f.command, "/bin/sh");
  EXPECT (f.has_uid && f.uid == 1000);
  EXPECT_STR (f.engine, "unknown");
  oci_facts_release (&f);

  EXPECT (facts_of ("{}", &f, NULL, &empty) == 0);
  EXPECT (!f.caps_present && f.no_new_privileges == -1 && f.command == NULL && !f.has_uid);
  oci_facts_release (&f);
  return 0;
}

static int
test_fields_and_conflicts (void)
{
  json_auto_t *doc = NULL;
  struct oci_facts f;

  EXPECT (facts_of ("{\"annotations\":{\"io.kubernetes.cri.sandbox-namespace\":\"prod\","
                    "\"io.kubernetes.cri.container-type\":\"container\","
                    "\"io.kubernetes.cri.container-name\":\"web\","
                    "\"io.kubernetes.container.name\":\"web\","
                    "\"io.kubernetes.pod.namespace\":\"kube-system\"}}",
                    &f, NULL, &doc)
          == 0);
  EXPECT_STR (f.engine, "containerd");
  /* Two engines' keys disagree: the field matches nothing.  */
  EXPECT (f.fields[FIELD_NAMESPACE] == NULL);
  EXPECT (f.conflicts
          && strstr (f.conflicts, "`namespace` is `prod` (containerd) but `kube-system` (cri-o)"));
  /* They agree: kept.  */
  EXPECT_STR (f.fields[FIELD_CONTAINER], "web");
  EXPECT (f.fields[FIELD_POD] == NULL);
  oci_facts_release (&f);

  {
    static const struct
    {
      const char *text, *engine, *ns, *why;
    } cases[] = {
      /* CRI-O's marker: CRI-O's keys, not containerd's (a pod's pass-through).  */
      { "{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"container\","
        "\"io.kubernetes.pod.namespace\":\"prod\"}}",
        "cri-o", "prod", NULL },
      { "{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"container\","
        "\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\"}}",
        "cri-o", NULL, NULL },
      /* Both engines' markers: nobody can tell which engine made it.  */
      { "{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"container\","
        "\"io.kubernetes.cri.container-type\":\"container\","
        "\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\"}}",
        "unknown", NULL, "no CRI engine made this config (unknown)" },
      /* No marker (ctr, plain runc): the caller's claim.  */
      { "{\"annotations\":{\"io.kubernetes.pod.namespace\":\"kube-system\"}}", "unknown", NULL,
        "`namespace` from `io.kubernetes.pod.namespace` ignored" },
      /* podman with CRI keys.  */
      { "{\"annotations\":{\"io.container.manager\":\"libpod\","
        "\"io.kubernetes.cri.container-type\":\"container\","
        "\"io.kubernetes.cri.sandbox-namespace\":\"kube-system\"}}",
        "podman", NULL, "no CRI engine made this config (podman)" },
    };
    size_t i;

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
      {
        json_auto_t *d = NULL;
        EXPECT (facts_of (cases[i].text, &f, NULL, &d) == 0);
        EXPECT_STR (f.engine, cases[i].engine);
        if (cases[i].ns)
          EXPECT_STR (f.fields[FIELD_NAMESPACE], cases[i].ns);
        else
          EXPECT (f.fields[FIELD_NAMESPACE] == NULL);
        if (cases[i].why)
          EXPECT (f.conflicts && strstr (f.conflicts, cases[i].why));
        oci_facts_release (&f);
      }
  }
  return 0;
}

static char *
read_fixture (const char *name, size_t *len)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  cleanup_error struct error *err = NULL;
  char *buf = NULL;

  xasprintf (&path, "%s/bundles/%s/config.json", FIXTURES_DIR, name);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || util_read_fd (fd, CAPGUARD_MAX_CONFIG, path, &buf, len, &err) < 0)
    return NULL;
  return buf;
}

static int
test_captured_fixtures (void)
{
  static const char *const names[]
      = { "podman-default",         "podman-privileged",         "podman-cap-add",
          "podman-k8s-kube-system", "containerd-ctr-default",    "runc-spec",
          "containerd-cri-pod",     "containerd-cri-pod-sandbox" };
  size_t i, len;

  for (i = 0; i < sizeof names / sizeof names[0]; i++)
    {
      cleanup_free char *text = read_fixture (names[i], &len);
      cleanup_error struct error *err = NULL;
      json_auto_t *doc = NULL;
      struct oci_facts f;

      EXPECT (text != NULL);
      doc = oci_config_parse (text, len, names[i], &err);
      EXPECT (doc != NULL);
      EXPECT (oci_config_facts (doc, LAST, &f, &err) == 0);
      EXPECT (f.caps_present && f.sets[CAPSET_BOUNDING] != 0);
      if (strncmp (names[i], "podman", 6) == 0)
        EXPECT_STR (f.engine, "podman");
      if (strcmp (names[i], "podman-k8s-kube-system") == 0)
        {
          /* podman run --annotation io.kubernetes.pod.namespace=kube-system: the
             caller's own claim, which no CRI engine vouches for.  */
          EXPECT (f.fields[FIELD_NAMESPACE] == NULL && f.fields[FIELD_POD] == NULL);
          EXPECT (f.fields[FIELD_CONTAINER] == NULL);
          EXPECT (f.conflicts && strstr (f.conflicts, "no CRI engine made this config (podman)"));
        }
      if (strncmp (names[i], "containerd-cri-pod", 18) == 0)
        {
          EXPECT_STR (f.engine, "containerd");
          EXPECT_STR (f.fields[FIELD_NAMESPACE], "default");
          EXPECT_STR (f.fields[FIELD_POD], "capture");
          EXPECT (f.sandbox == (strstr (names[i], "sandbox") != NULL));
          EXPECT (f.conflicts == NULL);
        }
      if (strcmp (names[i], "containerd-ctr-default") == 0)
        EXPECT (capset_count (f.sets[CAPSET_BOUNDING]) == 14);
      if (strcmp (names[i], "podman-privileged") == 0)
        /* podman leaves out what its own process lacks: this VM has no CAP_SYS_RESOURCE.  */
        EXPECT (capset_count (f.sets[CAPSET_BOUNDING]) >= 40);
      oci_facts_release (&f);
    }
  return 0;
}

static int
test_apply_touches_only_what_changed (void)
{
  const char *text
      = "{\"z\":1,\"process\":{\"args\":[\"sh\"],\"capabilities\":{\"bounding\":[\"CAP_SYS_ADMIN\","
        "\"CAP_KILL\",\"bogus\",\"CAP_CHOWN\",\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"]},"
        "\"cwd\":\"/\"},\"a\":{\"b\":[1,2.5,\"x\"]}}";
  uint64_t keep[CAPSET_COUNT] = { 0 };
  bool changed[CAPSET_COUNT] = { 0 };
  cleanup_error struct error *err = NULL;
  json_auto_t *doc = parse (text, NULL);
  cleanup_free char *out = NULL;

  keep[CAPSET_BOUNDING] = capset_bit (5) | capset_bit (0);
  keep[CAPSET_EFFECTIVE] = capset_bit (5);
  changed[CAPSET_BOUNDING] = true;
  struct oci_edit edit = { .keep = keep, .changed = changed, .set_nnp = true };

  EXPECT (oci_config_apply (doc, &edit, LAST, &err) == 0);
  out = json_dumps (doc, JSON_COMPACT);
  EXPECT_STR (
      out, "{\"z\":1,\"process\":{\"args\":[\"sh\"],\"capabilities\":{\"bounding\":[\"CAP_KILL\","
           "\"CAP_CHOWN\"],\"effective\":[\"CAP_KILL\"]},\"cwd\":\"/\",\"noNewPrivileges\":true},"
           "\"a\":{\"b\":[1,2.5,\"x\"]}}");

  /* Asked to add what is not there: refused, as an internal error.  */
  keep[CAPSET_BOUNDING] |= capset_bit (21) | capset_bit (13);
  edit.set_nnp = false;
  EXPECT (oci_config_apply (doc, &edit, LAST, &err) < 0);
  EXPECT (strstr (err->msg, "would gain") != NULL);
  return 0;
}

static int
test_seccomp_states (void)
{
  static const struct
  {
    const char *text;
    enum oci_seccomp want;
  } cases[] = {
    { "{}", OCI_SECCOMP_NONE },
    { "{\"linux\":{}}", OCI_SECCOMP_NONE },
    { "{\"linux\":{\"seccomp\":null}}", OCI_SECCOMP_NONE },
    { "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}", OCI_SECCOMP_UNCONFINED },
    { "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[]}}}",
      OCI_SECCOMP_UNCONFINED },
    { "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":["
      "\"bpf\"],"
      "\"action\":\"SCMP_ACT_ERRNO\"}]}}}",
      OCI_SECCOMP_CONFINED },
    { "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\"}}}", OCI_SECCOMP_CONFINED },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      json_auto_t *doc = NULL;
      struct oci_facts f;
      EXPECT (facts_of (cases[i].text, &f, NULL, &doc) == 0);
      EXPECT (f.seccomp == cases[i].want);
      oci_facts_release (&f);
    }
  EXPECT (expect_facts_error ("{\"linux\":[]}", "linux: expected an object") == 0);
  EXPECT (expect_facts_error ("{\"linux\":{\"seccomp\":1}}", "linux.seccomp: expected an object")
          == 0);
  EXPECT (expect_facts_error ("{\"linux\":{\"seccomp\":{}}}",
                              "linux.seccomp.defaultAction: expected a string")
          == 0);
  EXPECT (expect_facts_error (
              "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}}}",
              "linux.seccomp.syscalls: expected an array")
          == 0);
  return 0;
}

static int
test_state (void)
{
  cleanup_error struct error *err = NULL;
  struct oci_state st;
  const char *ok
      = "{\"ociVersion\":\"1.0.2-dev\",\"id\":\"t3\",\"status\":\"creating\",\"pid\":5939,"
        "\"bundle\":\"/tmp/rt/b\",\"annotations\":{\"a\":\"b\"}}";
  json_auto_t *doc = oci_state_parse (ok, strlen (ok), "s", &st, &err);

  EXPECT (doc != NULL);
  EXPECT_STR (st.id, "t3");
  EXPECT_STR (st.bundle, "/tmp/rt/b");
  EXPECT_STR (st.status, "creating");
  EXPECT (st.pid == 5939);
  EXPECT_STR (json_string_value (json_object_get (st.annotations, "a")), "b");
  {
    const char *t = "{\"id\":\"x\",\"bundle\":\"/b\",\"pid\":0}";
    json_auto_t *d2 = oci_state_parse (t, strlen (t), "s", &st, &err);
    EXPECT (d2 == NULL && strstr (err->msg, "`pid` must be a positive process id"));
  }
  {
    const char *t = "{\"id\":\"x\",\"bundle\":\"/b\"}";
    json_auto_t *d3 = oci_state_parse (t, strlen (t), "s", &st, &err);
    EXPECT (d3 != NULL && st.pid == 0 && st.annotations == NULL && st.status == NULL);
  }
  return 0;
}

static int
test_network_facts_and_edits (void)
{
  cleanup_error struct error *err = NULL;
  json_auto_t *doc = NULL, *host = NULL, *set = NULL, *profile = NULL;
  cleanup_free char *out = NULL;
  uint64_t keep[CAPSET_COUNT] = { 0 };
  bool changed[CAPSET_COUNT] = { 0 };
  struct oci_edit edit = { .keep = keep, .changed = changed };
  struct oci_facts f;

  EXPECT (facts_of ("{\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"}]}}", &f,
                    NULL, &doc)
          == 0);
  EXPECT (f.network_ns && !f.ping_sysctl);
  oci_facts_release (&f);
  EXPECT (facts_of ("{\"linux\":{\"namespaces\":[{\"type\":\"pid\"}]}}", &f, NULL, &host) == 0);
  EXPECT (!f.network_ns);
  oci_facts_release (&f);
  EXPECT (
      facts_of ("{\"linux\":{\"sysctl\":{\"net.ipv4.ping_group_range\":\"0 0\"}}}", &f, NULL, &set)
      == 0);
  EXPECT (f.ping_sysctl);
  oci_facts_release (&f);
  EXPECT (
      expect_facts_error ("{\"linux\":{\"namespaces\":{}}}", "linux.namespaces: expected an array")
      == 0);
  EXPECT (expect_facts_error ("{\"linux\":{\"namespaces\":[{}]}}",
                              "linux.namespaces[0]: expected an object with a `type`")
          == 0);
  EXPECT (
      expect_facts_error ("{\"linux\":{\"sysctl\":{\"a\":1}}}", "linux.sysctl.a: expected a string")
      == 0);

  /* The edits create what is missing and touch nothing else.  */
  profile = json_pack ("{s:s}", "defaultAction", "SCMP_ACT_ERRNO");
  edit.ping_group_range = "0 2147483647";
  edit.seccomp = profile;
  EXPECT (oci_config_apply (doc, &edit, LAST, &err) == 0);
  out = json_dumps (doc, JSON_COMPACT);
  EXPECT_STR (out, "{\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"}],"
                   "\"sysctl\":{\"net.ipv4.ping_group_range\":\"0 2147483647\"},"
                   "\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\"}}}");
  return 0;
}

/* A sandbox by its engine's own key; never from a config podman made,
   where every annotation is the caller's.  A network namespace joined by
   path is the container's own unless it is capguard's (the host's).  */
static int
test_sandbox_and_joined_network (void)
{
  static const struct
  {
    const char *text;
    bool sandbox;
  } cases[] = {
    { "{\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\"}}", true },
    { "{\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\"}}", false },
    { "{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"sandbox\"}}", true },
    { "{\"annotations\":{\"io.container.manager\":\"libpod\","
      "\"io.kubernetes.cri.container-type\":\"sandbox\"}}",
      false },
  };
  char self[64];
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      json_auto_t *doc = NULL;
      struct oci_facts f;
      EXPECT (facts_of (cases[i].text, &f, NULL, &doc) == 0);
      EXPECT (f.sandbox == cases[i].sandbox);
      oci_facts_release (&f);
    }

  snprintf (self, sizeof self, "/proc/%d/ns/net", (int)getpid ());
  {
    cleanup_free char *host = NULL;
    json_auto_t *doc = NULL, *gone = NULL, *own = NULL;
    struct oci_facts f;

    xasprintf (&host, "{\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"%s\"}]}}",
               self);
    EXPECT (facts_of (host, &f, NULL, &doc) == 0);
    EXPECT (!f.network_ns && f.network_unknown == NULL);
    oci_facts_release (&f);
    EXPECT (facts_of ("{\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"/nonexistent/"
                      "ns\"}]}}",
                      &f, NULL, &gone)
            == 0);
    EXPECT (!f.network_ns);
    EXPECT_STR (f.network_unknown, "/nonexistent/ns");
    oci_facts_release (&f);
    /* Another namespace file: its inode is not the host's network one.  */
    EXPECT (facts_of ("{\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"/proc/self/"
                      "ns/mnt\"}]}}",
                      &f, NULL, &own)
            == 0);
    EXPECT (f.network_ns);
    oci_facts_release (&f);
  }
  EXPECT (expect_facts_error ("{\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":1}]}}",
                              "linux.namespaces[0].path: expected a string")
          == 0);
  return 0;
}

/* The one rule where annotations meet: added, kept when equal, dropped
   with the reason when not.  */
static int
test_added_annotations (void)
{
  json_auto_t *doc = NULL, *merged = NULL;
  json_auto_t *more = json_pack ("{s:s, s:s, s:s}", "io.kubernetes.pod.namespace", "kube-system",
                                 "io.kubernetes.container.name", "web", "extra", "1");
  struct oci_facts f;
  cleanup_error struct error *err = NULL;

  EXPECT (facts_of ("{\"annotations\":{\"io.kubernetes.cri-o.ContainerType\":\"container\","
                    "\"io.kubernetes.pod.namespace\":\"prod\","
                    "\"io.kubernetes.container.name\":\"web\"}}",
                    &f, NULL, &doc)
          == 0);
  EXPECT_STR (f.fields[FIELD_NAMESPACE], "prod");
  EXPECT (oci_facts_add_annotations (&f, more, "in the state", &merged, &err) == 0);
  /* Neither side chooses the namespace: it matches nothing.  */
  EXPECT (f.fields[FIELD_NAMESPACE] == NULL);
  EXPECT (json_object_get (merged, "io.kubernetes.pod.namespace") == NULL);
  EXPECT (f.conflicts
          && strstr (f.conflicts, "annotation `io.kubernetes.pod.namespace` is `prod` in the "
                                  "config but `kube-system` in the state; it matches nothing"));
  EXPECT_STR (f.fields[FIELD_CONTAINER], "web");
  EXPECT_STR (json_string_value (json_object_get (merged, "extra")), "1");
  oci_facts_release (&f);
  return 0;
}

TAP_MAIN (T (test_sandbox_and_joined_network), T (test_added_annotations),
          T (test_network_facts_and_edits), T (test_state), T (test_seccomp_states),
          T (test_runc_would_read_differently), T (test_bad_json), T (test_wrong_types),
          T (test_facts_of_sets), T (test_fields_and_conflicts), T (test_captured_fixtures),
          T (test_apply_touches_only_what_changed))
