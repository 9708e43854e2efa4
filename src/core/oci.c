/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "jsontext.h"
#include "oci.h"
#include "util.h"

/* SPEC §4's table: where each engine puts each field.  */
struct field_source
{
  const char *engine;
  const char *keys[FIELD_KUBERNETES_COUNT];
};
static const struct field_source field_sources[] = {
  { "containerd",
    { "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.cri.sandbox-name",
      "io.kubernetes.cri.container-name", "io.kubernetes.cri.image-name" } },
  { "cri-o",
    { "io.kubernetes.pod.namespace", "io.kubernetes.pod.name", "io.kubernetes.container.name",
      "io.kubernetes.cri-o.ImageName" } },
};

/* Field names of the runtime-spec structs on the path to what we read.
   runc decodes config.json with Go's encoding/json, which matches a key to
   a struct field case-insensitively (and folds U+017F to `s` and U+212A to
   `k`), the last match winning.  A key that folds onto one of these but is
   spelled differently would be read by runc and ignored by us.  */
static const char *const spec_fields[]
    = { "ociVersion",  "process", "root",    "hostname", "domainname", "mounts", "hooks",
        "annotations", "linux",   "solaris", "windows",  "vm",         "zos",    NULL };
static const char *const process_fields[] = { "terminal",
                                              "consoleSize",
                                              "user",
                                              "args",
                                              "commandLine",
                                              "env",
                                              "cwd",
                                              "capabilities",
                                              "rlimits",
                                              "noNewPrivileges",
                                              "apparmorProfile",
                                              "oomScoreAdj",
                                              "selinuxLabel",
                                              "ioPriority",
                                              "scheduler",
                                              "execCPUAffinity",
                                              NULL };
static const char *const caps_fields[]
    = { "bounding", "effective", "inheritable", "permitted", "ambient", NULL };
static const char *const user_fields[]
    = { "uid", "gid", "umask", "additionalGids", "username", NULL };
static const char *const linux_fields[]
    = { "uidMappings",       "gidMappings", "sysctl",        "resources",
        "cgroupsPath",       "namespaces",  "devices",       "seccomp",
        "rootfsPropagation", "maskedPaths", "readonlyPaths", "mountLabel",
        "intelRdt",          "personality", "timeOffsets",   NULL };

/* The runtime-spec structs below linux and the top level that capguard
   reads (seccomp, mounts, devices, namespaces, resources): each a Go
   struct, matched as the others.  Maps (sysctl, annotations) are Go maps,
   whose keys runc takes as written: only exact duplicates, refused when
   the JSON is read, could differ.  */
static const char *const mount_fields[]
    = { "destination", "type", "source", "options", "uidMappings", "gidMappings", NULL };
static const char *const device_fields[]
    = { "path", "type", "major", "minor", "fileMode", "uid", "gid", NULL };
static const char *const device_cgroup_fields[]
    = { "allow", "type", "major", "minor", "access", NULL };
static const char *const namespace_fields[] = { "type", "path", NULL };
static const char *const resources_fields[]
    = { "devices",        "memory",  "cpu",  "pids",    "blockIO",
        "hugepageLimits", "network", "rdma", "unified", NULL };
static const char *const seccomp_fields[]
    = { "defaultAction", "defaultErrnoRet",  "architectures", "flags",
        "listenerPath",  "listenerMetadata", "syscalls",      NULL };
static const char *const syscall_fields[] = { "names", "action", "errnoRet", "args", NULL };
static const char *const seccomp_arg_fields[] = { "index", "value", "valueTwo", "op", NULL };

/* Each object of the array ARR against FIELDS; WHERE names the array.  */
static int
check_array_variants (json_t *arr, const char *const *fields, const char *where, struct error **err)
{
  cleanup_free char *at = NULL;
  json_t *v;
  size_t i;

  json_array_foreach (arr, i, v)
    {
      if (!json_is_object (v))
        continue;
      free (at);
      xasprintf (&at, "%s[%zu]: ", where, i);
      if (jsontext_check_case_variants (v, fields, at, "runc", err) < 0)
        return -1;
    }
  return 0;
}

static int
check_seccomp_variants (json_t *seccomp, struct error **err)
{
  json_t *rule;
  size_t i;

  if (jsontext_check_case_variants (seccomp, seccomp_fields, "linux.seccomp: ", "runc", err) < 0
      || check_array_variants (json_object_get (seccomp, "syscalls"), syscall_fields,
                               "linux.seccomp.syscalls", err)
             < 0)
    return -1;
  json_array_foreach (json_object_get (seccomp, "syscalls"), i, rule)
    {
      cleanup_free char *where = NULL;
      xasprintf (&where, "linux.seccomp.syscalls[%zu].args", i);
      if (json_is_object (rule)
          && check_array_variants (json_object_get (rule, "args"), seccomp_arg_fields, where, err)
                 < 0)
        return -1;
    }
  return 0;
}

static json_t *
get_object (json_t *parent, const char *key)
{
  json_t *v = parent ? json_object_get (parent, key) : NULL;
  return json_is_object (v) ? v : NULL;
}

static int
check_process_variants (json_t *process, struct error **err)
{
  if (jsontext_check_case_variants (process, process_fields, "process: ", "runc", err) < 0)
    return -1;
  if (get_object (process, "capabilities")
      && jsontext_check_case_variants (get_object (process, "capabilities"), caps_fields,
                                       "process.capabilities: ", "runc", err)
             < 0)
    return -1;
  if (get_object (process, "user")
      && jsontext_check_case_variants (get_object (process, "user"), user_fields,
                                       "process.user: ", "runc", err)
             < 0)
    return -1;
  return 0;
}

static int
check_linux_variants (json_t *linux_obj, struct error **err)
{
  json_t *resources = get_object (linux_obj, "resources");

  if (jsontext_check_case_variants (linux_obj, linux_fields, "linux: ", "runc", err) < 0
      || check_array_variants (json_object_get (linux_obj, "devices"), device_fields,
                               "linux.devices", err)
             < 0
      || check_array_variants (json_object_get (linux_obj, "namespaces"), namespace_fields,
                               "linux.namespaces", err)
             < 0
      || (get_object (linux_obj, "seccomp")
          && check_seccomp_variants (get_object (linux_obj, "seccomp"), err) < 0))
    return -1;
  if (resources
      && (jsontext_check_case_variants (resources, resources_fields, "linux.resources: ", "runc",
                                        err)
              < 0
          || check_array_variants (json_object_get (resources, "devices"), device_cgroup_fields,
                                   "linux.resources.devices", err)
                 < 0))
    return -1;
  return 0;
}

json_t *
oci_config_parse (const char *buf, size_t len, const char *source, struct error **err)
{
  json_t *doc = jsontext_load_object (buf, len, source, err);
  json_t *process, *linux_obj;

  if (doc == NULL)
    return NULL;
  process = get_object (doc, "process");
  linux_obj = get_object (doc, "linux");
  if (jsontext_check_case_variants (doc, spec_fields, "", "runc", err) < 0
      || (process && check_process_variants (process, err) < 0)
      || check_array_variants (json_object_get (doc, "mounts"), mount_fields, "mounts", err) < 0
      || (linux_obj && check_linux_variants (linux_obj, err) < 0))
    {
      json_decref (doc);
      return NULL;
    }
  return doc;
}

json_t *
oci_process_parse (const char *buf, size_t len, const char *source, json_t **process,
                   struct error **err)
{
  json_auto_t *doc = jsontext_load_object (buf, len, source, err);

  if (doc == NULL)
    return NULL;
  if (check_process_variants (doc, err) < 0)
    return error_wrap (err, "%s", source), NULL;
  *process = doc;
  return json_pack ("{s:O}", "process", doc);
}

char *
oci_names_text (const json_t *names)
{
  char *out = NULL;
  json_t *v;
  size_t i;

  json_array_foreach (names, i, v)
    {
      cleanup_free char *q = json_dumps (v, JSON_ENCODE_ANY);
      util_append (&out, " ", "%s", q ? q : "?");
    }
  return out ? out : xstrdup ("");
}

void
oci_facts_release (struct oci_facts *facts)
{
  size_t i;

  for (i = 0; i < CAPSET_COUNT; i++)
    json_decref (facts->unknown[i]);
  free (facts->conflicts);
  memset (facts, 0, sizeof *facts);
}

static int
read_set (json_t *caps, enum capset_kind kind, int last_cap, struct oci_facts *facts,
          struct error **err)
{
  const char *name = capset_kind_name (kind);
  json_t *arr = json_object_get (caps, name), *v;
  size_t i;

  if (arr == NULL || json_is_null (arr))
    return 0;
  if (!json_is_array (arr))
    return make_error (err, 0, "process.capabilities.%s: expected an array of strings", name);
  facts->set_present[kind] = true;
  json_array_foreach (arr, i, v)
    {
      int cap;
      if (!json_is_string (v))
        return make_error (err, 0, "process.capabilities.%s[%zu]: expected a string", name, i);
      cap = capset_parse_config_name (json_string_value (v), last_cap);
      if (cap < 0)
        {
          if (facts->unknown[kind] == NULL)
            facts->unknown[kind] = json_array ();
          json_array_append (facts->unknown[kind], v);
        }
      else
        facts->sets[kind] |= capset_bit (cap);
    }
  return 0;
}

static int
read_fields (json_t *annotations, struct oci_facts *facts, struct error **err)
{
  const struct field_source *vouching = NULL;
  const char *key;
  json_t *v;
  size_t f, s;

  facts->engine = "unknown";
  facts->sandbox = false;
  facts->annotations = NULL;
  free (facts->conflicts);
  facts->conflicts = NULL;
  memset (facts->fields, 0, sizeof facts->fields);
  if (annotations == NULL || json_is_null (annotations))
    return 0;
  if (!json_is_object (annotations))
    return make_error (err, 0, "annotations: expected an object of strings");
  json_object_foreach (annotations, key, v)
    if (!json_is_string (v))
      return make_error (err, 0, "annotations.%s: expected a string", key);
  facts->annotations = annotations;

  /* Who made the config, by the key each engine sets on every container
     it makes (containerd: pkg/cri/annotations, CRI-O: pkg/annotations;
     podman: io.container.manager).  Pods can pass annotations through
     (CRI-O copies them, containerd when pod_annotations allows), so both
     CRI engines' keys together say nothing: no engine vouches.  */
  {
    json_t *manager = json_object_get (annotations, "io.container.manager");
    json_t *cd = json_object_get (annotations, "io.kubernetes.cri.container-type");
    json_t *crio = json_object_get (annotations, "io.kubernetes.cri-o.ContainerType");

    if (manager && strcmp (json_string_value (manager), "libpod") == 0)
      facts->engine = "podman";
    else if (cd && crio)
      facts->engine = "unknown";
    else if (cd || crio)
      {
        facts->engine = cd ? "containerd" : "cri-o";
        facts->sandbox = strcmp (json_string_value (cd ? cd : crio), "sandbox") == 0;
        vouching = cd ? &field_sources[0] : &field_sources[1];
      }
  }

  /* Only a CRI engine fills the Kubernetes identity from the kubelet's
     request: under podman, ctr, Docker and plain runc every annotation is
     the caller's, who could claim kube-system (SPEC §4 "Who vouches for
     an identity").  From a CRI engine, only its own keys count; the other
     engine's key for a field, passed through by a pod, makes the field
     match nothing when it disagrees.  */
  for (f = 0; f < FIELD_KUBERNETES_COUNT; f++)
    {
      json_t *own = vouching ? json_object_get (annotations, vouching->keys[f]) : NULL;
      bool disputed = false;

      for (s = 0; s < sizeof field_sources / sizeof field_sources[0]; s++)
        {
          json_t *a = json_object_get (annotations, field_sources[s].keys[f]);
          if (a == NULL || &field_sources[s] == vouching)
            continue;
          if (vouching == NULL)
            util_append (&facts->conflicts, "; ",
                         "`%s` from `%s` ignored: no CRI engine made this config (%s), so "
                         "nobody vouches for it",
                         field_name (f), field_sources[s].keys[f], facts->engine);
          else if (own && strcmp (json_string_value (own), json_string_value (a)) != 0)
            {
              util_append (&facts->conflicts, "; ",
                           "`%s` is `%s` (%s) but `%s` (%s); it matches nothing", field_name (f),
                           json_string_value (own), vouching->engine, json_string_value (a),
                           field_sources[s].engine);
              disputed = true;
            }
        }
      if (own && !disputed)
        facts->fields[f] = json_string_value (own);
    }
  return 0;
}

/* A network namespace joined by path may be the host's: containerd
   joins a hostNetwork pod's sandbox by /proc/PID/ns/net, CRI-O hands
   pinns' pin of the host namespace to the infra container, Docker a path
   under its exec root.  runc refuses a net.* sysctl there ("not allowed
   in host network namespace"), comparing the path's inode with its own
   /proc/self/ns/net; so does capguard, from the same mount namespace as
   the runtime.  Annotations are not trusted for this: a pod can set
   CRI-O's HostNetwork one.  */
static int
read_netns_path (json_t *ns, size_t i, struct oci_facts *facts, struct error **err)
{
  json_t *path = json_object_get (ns, "path");
  struct stat self, joined;

  if (path == NULL || json_is_null (path)
      || (json_is_string (path) && json_string_value (path)[0] == '\0'))
    {
      facts->network_ns = true;
      return 0;
    }
  if (!json_is_string (path))
    return make_error (err, 0, "linux.namespaces[%zu].path: expected a string", i);
  if (stat ("/proc/self/ns/net", &self) < 0 || stat (json_string_value (path), &joined) < 0)
    {
      facts->network_unknown = json_string_value (path);
      return 0;
    }
  facts->network_ns = self.st_dev != joined.st_dev || self.st_ino != joined.st_ino;
  return 0;
}

static int
read_network (json_t *linux_obj, struct oci_facts *facts, struct error **err)
{
  json_t *namespaces = json_object_get (linux_obj, "namespaces");
  json_t *sysctl = json_object_get (linux_obj, "sysctl");
  json_t *ns, *v;
  const char *key;
  size_t i;

  if (namespaces && !json_is_null (namespaces))
    {
      if (!json_is_array (namespaces))
        return make_error (err, 0, "linux.namespaces: expected an array");
      json_array_foreach (namespaces, i, ns)
        {
          if (!json_is_object (ns) || !json_is_string (json_object_get (ns, "type")))
            return make_error (err, 0, "linux.namespaces[%zu]: expected an object with a `type`",
                               i);
          if (strcmp (json_string_value (json_object_get (ns, "type")), "network") == 0
              && read_netns_path (ns, i, facts, err) < 0)
            return -1;
        }
    }
  if (sysctl && !json_is_null (sysctl))
    {
      if (!json_is_object (sysctl))
        return make_error (err, 0, "linux.sysctl: expected an object of strings");
      json_object_foreach (sysctl, key, v)
        if (!json_is_string (v))
          return make_error (err, 0, "linux.sysctl.%s: expected a string", key);
      facts->ping_sysctl = json_object_get (sysctl, "net.ipv4.ping_group_range") != NULL;
    }
  return 0;
}

static int
read_seccomp (json_t *linux_obj, struct oci_facts *facts, struct error **err)
{
  json_t *seccomp, *action, *syscalls;

  facts->seccomp = OCI_SECCOMP_NONE;
  if (linux_obj == NULL || json_is_null (linux_obj))
    return 0;
  if (!json_is_object (linux_obj))
    return make_error (err, 0, "linux: expected an object");
  if (read_network (linux_obj, facts, err) < 0)
    return -1;
  seccomp = json_object_get (linux_obj, "seccomp");
  if (seccomp == NULL || json_is_null (seccomp))
    return 0;
  if (!json_is_object (seccomp))
    return make_error (err, 0, "linux.seccomp: expected an object");
  action = json_object_get (seccomp, "defaultAction");
  if (!json_is_string (action))
    return make_error (err, 0, "linux.seccomp.defaultAction: expected a string");
  syscalls = json_object_get (seccomp, "syscalls");
  if (syscalls && !json_is_null (syscalls) && !json_is_array (syscalls))
    return make_error (err, 0, "linux.seccomp.syscalls: expected an array");
  /* A profile that allows everything and lists nothing filters nothing:
     that is what Kubernetes' `Unconfined` turns into.  */
  if (strcmp (json_string_value (action), "SCMP_ACT_ALLOW") == 0 && json_array_size (syscalls) == 0)
    facts->seccomp = OCI_SECCOMP_UNCONFINED;
  else
    {
      facts->seccomp = OCI_SECCOMP_CONFINED;
      facts->seccomp_profile = seccomp;
    }
  return 0;
}

const char *
oci_privileged_criterion (unsigned bit)
{
  return bit == OCI_PRIVILEGED_ALL_CHAR    ? "the device cgroup gives every character device"
         : bit == OCI_PRIVILEGED_ALL_BLOCK ? "the device cgroup gives every block device"
         : bit == OCI_PRIVILEGED_SYSFS_RW  ? "/sys is writable"
         : bit == OCI_PRIVILEGED_PROC_SYS
             ? "/proc/sys, /proc/sysrq-trigger or /proc/kcore is neither masked nor read-only"
             : "?";
}

const char *
oci_privileged_sign (unsigned bit)
{
  return bit == OCI_PRIVILEGED_ALL_CHAR    ? "all-char-devices"
         : bit == OCI_PRIVILEGED_ALL_BLOCK ? "all-block-devices"
         : bit == OCI_PRIVILEGED_SYSFS_RW  ? "sysfs-writable"
         : bit == OCI_PRIVILEGED_PROC_SYS  ? "proc-unmasked"
                                           : "?";
}

static bool
wildcard (json_t *v)
{
  return v == NULL || json_is_null (v) || (json_is_integer (v) && json_integer_value (v) == -1);
}

/* What the device cgroup's rules, in order, give every device of TYPE
   ('c' or 'b'): the access letters of the rules that name every device of
   it ("a" or TYPE, any major, any minor), an allowing one adding them, a
   denying one taking them away.  A rule for one device does not make the
   rest less than every device.  */
static bool
every_device (json_t *rules, char type)
{
  bool r = false, w = false, m = false;
  json_t *v;
  size_t i;

  json_array_foreach (rules, i, v)
    {
      const char *t = json_string_value (json_object_get (v, "type"));
      const char *access = json_string_value (json_object_get (v, "access"));
      bool allow = json_is_true (json_object_get (v, "allow"));
      if ((t && strcmp (t, "a") != 0 && !(t[0] == type && t[1] == '\0'))
          || !wildcard (json_object_get (v, "major")) || !wildcard (json_object_get (v, "minor")))
        continue;
      if (access == NULL || access[0] == '\0')
        access = "rwm"; /* runc's default for an empty access */
      if (strchr (access, 'r'))
        r = allow;
      if (strchr (access, 'w'))
        w = allow;
      if (strchr (access, 'm'))
        m = allow;
    }
  return r && w && m;
}

/* Whether PATH is in LIST, or under a path of it.  */
static bool
covered (json_t *list, const char *path)
{
  json_t *v;
  size_t i;

  json_array_foreach (list, i, v)
    {
      const char *p = json_string_value (v);
      size_t n = p ? strlen (p) : 0;
      if (p && n > 0 && strncmp (path, p, n) == 0
          && (path[n] == '\0' || path[n] == '/' || p[n - 1] == '/'))
        return true;
    }
  return false;
}

/* The signs of a privileged container (oci.h), read leniently, since a
   config runc would reject never runs anyway.  Each alone is host-level
   power: every device node opened, the kernel's tunables written, sysrq,
   the host's memory (kcore).  */
static void
read_privileged (json_t *config, struct oci_facts *facts)
{
  json_t *linux_obj = json_object_get (config, "linux"), *v, *m;
  json_t *masked = json_object_get (linux_obj, "maskedPaths");
  json_t *readonly = json_object_get (linux_obj, "readonlyPaths");
  json_t *devices = json_object_get (json_object_get (linux_obj, "resources"), "devices");
  bool proc = false;
  size_t i, j;

  facts->privileged = 0;
  if (every_device (devices, 'c'))
    facts->privileged |= OCI_PRIVILEGED_ALL_CHAR;
  if (every_device (devices, 'b'))
    facts->privileged |= OCI_PRIVILEGED_ALL_BLOCK;
  json_array_foreach (json_object_get (config, "mounts"), i, m)
    {
      const char *type = json_string_value (json_object_get (m, "type"));
      const char *source = json_string_value (json_object_get (m, "source"));
      const char *dest = json_string_value (json_object_get (m, "destination"));
      bool ro = false, bind = false;
      json_array_foreach (json_object_get (m, "options"), j, v)
        {
          const char *o = json_string_value (v);
          ro = ro || (o && strcmp (o, "ro") == 0);
          bind = bind || (o && (strcmp (o, "bind") == 0 || strcmp (o, "rbind") == 0));
        }
      proc = proc || (type && strcmp (type, "proc") == 0);
      if (ro)
        continue;
      if ((type && strcmp (type, "sysfs") == 0)
          || ((bind || (type && strcmp (type, "bind") == 0)) && source
              && (strcmp (source, "/sys") == 0 || strncmp (source, "/sys/", 5) == 0)))
        facts->privileged |= OCI_PRIVILEGED_SYSFS_RW;
      (void)dest;
    }
  if (proc
      && ((!covered (masked, "/proc/sys") && !covered (readonly, "/proc/sys"))
          || (!covered (masked, "/proc/sysrq-trigger")
              && !covered (readonly, "/proc/sysrq-trigger"))
          || !covered (masked, "/proc/kcore")))
    facts->privileged |= OCI_PRIVILEGED_PROC_SYS;
}

int
oci_facts_add_annotations (struct oci_facts *facts, const json_t *more, const char *where,
                           json_t **merged, struct error **err)
{
  cleanup_free char *conflicts = NULL;
  const char *key;
  json_t *v;

  *merged = json_is_object (facts->annotations) ? json_copy (facts->annotations) : json_object ();
  json_object_foreach ((json_t *)more, key, v)
    {
      json_t *mine = json_object_get (*merged, key);
      if (mine == NULL)
        json_object_set (*merged, key, v);
      else if (!json_equal (mine, v))
        {
          util_append (&conflicts, "; ",
                       "annotation `%s` is `%s` in the config but `%s` %s; it matches nothing", key,
                       json_string_value (mine), json_string_value (v), where);
          json_object_del (*merged, key);
        }
    }
  if (read_fields (*merged, facts, err) < 0)
    return -1;
  if (conflicts)
    util_append (&facts->conflicts, "; ", "%s", conflicts);
  return 0;
}

json_t *
oci_state_parse (const char *buf, size_t len, const char *source, struct oci_state *state,
                 struct error **err)
{
  json_t *doc = jsontext_load_object (buf, len, source, err);
  json_t *v;
  const char *key;

  memset (state, 0, sizeof *state);
  if (doc == NULL)
    return NULL;
#define BAD(...) (make_error (err, 0, __VA_ARGS__), json_decref (doc), (json_t *)NULL)
  v = json_object_get (doc, "id");
  if (!json_is_string (v) || json_string_length (v) == 0)
    return BAD ("%s: `id` must be a non-empty string", source);
  state->id = json_string_value (v);
  v = json_object_get (doc, "bundle");
  if (!json_is_string (v) || json_string_value (v)[0] != '/')
    return BAD ("%s: `bundle` must be an absolute path", source);
  state->bundle = json_string_value (v);
  v = json_object_get (doc, "status");
  if (v && !json_is_string (v))
    return BAD ("%s: `status` must be a string", source);
  state->status = json_string_value (v);
  v = json_object_get (doc, "pid");
  if (v && !json_is_null (v))
    {
      if (!json_is_integer (v) || json_integer_value (v) <= 0 || json_integer_value (v) > INT32_MAX)
        return BAD ("%s: `pid` must be a positive process id", source);
      state->pid = json_integer_value (v);
    }
  v = json_object_get (doc, "annotations");
  if (v && !json_is_null (v))
    {
      json_t *a;
      if (!json_is_object (v))
        return BAD ("%s: `annotations` must be an object of strings", source);
      json_object_foreach (v, key, a)
        if (!json_is_string (a))
          return BAD ("%s: annotations.%s: expected a string", source, key);
      state->annotations = v;
    }
#undef BAD
  return doc;
}

int
oci_bundle_read_config (const char *bundle, char **buf, size_t *len, struct error **err)
{
  cleanup_close int dirfd = -1;

  if (bundle[0] != '/')
    return make_error (err, 0, "bundle `%s` is not an absolute path", bundle);
  dirfd = open (bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return make_error (err, errno, "bundle `%s`", bundle);
  /* config.json is opened relative to the bundle and never through a
     symlink: a container's files must not point us at another document.  */
  if (util_read_file_at (dirfd, "config.json", CAPGUARD_MAX_CONFIG, buf, len, err) < 0)
    return error_wrap (err, "bundle `%s`", bundle);
  return 0;
}

static int read_facts (json_t *config, int last_cap, struct oci_facts *facts, struct error **err);

int
oci_config_facts (json_t *config, int last_cap, struct oci_facts *facts, struct error **err)
{
  /* On failure nothing is left for the caller to release.  */
  if (read_facts (config, last_cap, facts, err) < 0)
    {
      oci_facts_release (facts);
      return -1;
    }
  return 0;
}

static int
read_facts (json_t *config, int last_cap, struct oci_facts *facts, struct error **err)
{
  json_t *process = json_object_get (config, "process");
  json_t *caps, *v;
  int k;

  memset (facts, 0, sizeof *facts);
  facts->no_new_privileges = -1;
  if (read_fields (json_object_get (config, "annotations"), facts, err) < 0)
    return -1;
  if (read_seccomp (json_object_get (config, "linux"), facts, err) < 0)
    return -1;
  read_privileged (config, facts);
  if (process == NULL || json_is_null (process))
    return 0;
  if (!json_is_object (process))
    return make_error (err, 0, "process: expected an object");

  caps = json_object_get (process, "capabilities");
  if (caps && !json_is_null (caps))
    {
      if (!json_is_object (caps))
        return make_error (err, 0, "process.capabilities: expected an object");
      facts->caps_present = true;
      for (k = 0; k < CAPSET_COUNT; k++)
        if (read_set (caps, k, last_cap, facts, err) < 0)
          return -1;
    }

  v = json_object_get (process, "noNewPrivileges");
  if (v && !json_is_null (v))
    {
      if (!json_is_boolean (v))
        return make_error (err, 0, "process.noNewPrivileges: expected a boolean");
      facts->no_new_privileges = json_is_true (v);
    }

  v = json_object_get (process, "args");
  if (v && !json_is_null (v))
    {
      if (!json_is_array (v))
        return make_error (err, 0, "process.args: expected an array of strings");
      if (json_array_size (v) > 0)
        {
          if (!json_is_string (json_array_get (v, 0)))
            return make_error (err, 0, "process.args[0]: expected a string");
          facts->command = json_string_value (json_array_get (v, 0));
        }
    }

  v = json_object_get (process, "user");
  if (v && !json_is_null (v))
    {
      json_t *uid;
      if (!json_is_object (v))
        return make_error (err, 0, "process.user: expected an object");
      uid = json_object_get (v, "uid");
      if (uid && !json_is_null (uid))
        {
          if (!json_is_integer (uid) || json_integer_value (uid) < 0
              || json_integer_value (uid) > UINT32_MAX)
            return make_error (err, 0,
                               "process.user.uid: expected an integer from 0 to 4294967295");
          facts->has_uid = true;
          facts->uid = json_integer_value (uid);
        }
    }
  return 0;
}

static json_t *
object_member (json_t *parent, const char *key, struct error **err)
{
  json_t *v = json_object_get (parent, key);

  if (v == NULL || json_is_null (v))
    {
      v = json_object ();
      if (json_object_set_new (parent, key, v) < 0)
        return make_error (err, ENOMEM, "cannot add `%s`", key), NULL;
    }
  if (!json_is_object (v))
    return make_error (err, 0, "`%s` is not an object", key), NULL;
  return v;
}

int
oci_config_apply (json_t *config, const struct oci_edit *edit, int last_cap, struct error **err)
{
  json_t *process = json_object_get (config, "process");
  json_t *caps = process ? json_object_get (process, "capabilities") : NULL;
  json_t *linux_obj;
  int k;

  for (k = 0; k < CAPSET_COUNT; k++)
    {
      json_t *arr, *v;
      json_auto_t *out = NULL;
      uint64_t written = 0;
      size_t i;

      if (!edit->changed[k])
        continue;
      arr = caps ? json_object_get (caps, capset_kind_name (k)) : NULL;
      if (!json_is_array (arr))
        return make_error (err, 0, "internal error: set `%s` changed but is not in the config",
                           capset_kind_name (k));
      out = json_array ();
      json_array_foreach (arr, i, v)
        {
          int cap = json_is_string (v) ? capset_parse_config_name (json_string_value (v), last_cap)
                                       : -1;
          if (cap < 0 || !capset_has (edit->keep[k], cap) || capset_has (written, cap))
            continue;
          written |= capset_bit (cap);
          json_array_append (out, v);
        }
      if (written != edit->keep[k])
        return make_error (err, 0, "internal error: set `%s` would gain capabilities",
                           capset_kind_name (k));
      if (json_object_set (caps, capset_kind_name (k), out) < 0)
        return make_error (err, 0, "out of memory");
    }
  if (edit->set_nnp)
    {
      if (!json_is_object (process))
        return make_error (err, 0, "config has no process object to set noNewPrivileges in");
      if (json_object_set_new (process, "noNewPrivileges", json_true ()) < 0)
        return make_error (err, 0, "out of memory");
    }
  if (edit->ping_group_range || edit->seccomp)
    {
      linux_obj = object_member (config, "linux", err);
      if (linux_obj == NULL)
        return -1;
      if (edit->ping_group_range)
        {
          json_t *sysctl = object_member (linux_obj, "sysctl", err);
          if (sysctl == NULL)
            return -1;
          if (json_object_set_new (sysctl, "net.ipv4.ping_group_range",
                                   json_string (edit->ping_group_range))
              < 0)
            return make_error (err, ENOMEM, "cannot set net.ipv4.ping_group_range");
        }
      if (edit->seccomp
          && json_object_set_new (linux_obj, "seccomp", json_deep_copy (edit->seccomp)) < 0)
        return make_error (err, 0, "out of memory");
    }
  return 0;
}
