/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <string.h>

#include "capset.h"
#include "jsontext.h"
#include "observe.h"
#include "util.h"

const char *const observe_noaudit_functions[] = {
  /* CAP_SYS_ADMIN on every mmap, brk and fork: the capability module's
     hook, or the LSM layer where the hook is inlined into it.  */
  "cap_vm_enough_memory",      "security_vm_enough_memory_mm",
  "ns_capable_noaudit",        /* ptrace_may_access(PTRACE_MODE_NOAUDIT): /proc, and others */
  "has_ns_capability_noaudit", /* oom, /proc/PID/... */
  "has_capability_noaudit",    NULL,
};

enum observe_attach
observe_choose_attach (const struct observe_kernel *k, const char **why)
{
  if (!k->btf)
    {
      *why = "this kernel has no BTF (/sys/kernel/btf/vmlinux; CONFIG_DEBUG_INFO_BTF): "
             "observe cannot attach";
      return OBSERVE_ATTACH_NONE;
    }
  if (k->tracepoint && k->kallsyms)
    return OBSERVE_ATTACH_TRACEPOINT;
  if (k->cap_capable && k->fexit_allowed)
    return OBSERVE_ATTACH_FEXIT;
  if (k->tracepoint)
    *why = "/proc/kallsyms gives no addresses (kptr_restrict): observe needs CAP_SYSLOG to tell "
           "the kernel's no-audit capability checks from use";
  else if (k->cap_capable)
    *why = "this kernel has no capability:cap_capable tracepoint and refuses fexit "
           "on cap_capable: observe cannot attach";
  else
    *why = "this kernel has neither the capability:cap_capable tracepoint nor cap_capable in its "
           "BTF: observe cannot attach";
  return OBSERVE_ATTACH_NONE;
}

const char *
observe_attach_name (enum observe_attach a)
{
  switch (a)
    {
    case OBSERVE_ATTACH_TRACEPOINT:
      return "tp_btf/cap_capable";
    case OBSERVE_ATTACH_FEXIT:
      return "fexit/cap_capable";
    case OBSERVE_ATTACH_NONE:
      break;
    }
  return "none";
}

/* Whether S starts with 64 hex digits, followed by END (a suffix, or ""
   for the end of S).  */
static bool
hex_id (const char *s, const char *end, char id[65])
{
  size_t i;

  for (i = 0; i < 64; i++)
    if (!isxdigit ((unsigned char)s[i]) || isupper ((unsigned char)s[i]))
      return false;
  if (strcmp (s + 64, end) != 0)
    return false;
  memcpy (id, s, 64);
  id[64] = '\0';
  return true;
}

static bool
starts (const char *s, const char *prefix)
{
  return strncmp (s, prefix, strlen (prefix)) == 0;
}

bool
observe_container_of (const char *name, const char *parent, char id[65], const char **engine)
{
  static const struct
  {
    const char *prefix, *suffix, *engine;
  } forms[] = {
    { "libpod-", ".scope", "podman" },
    { "libpod-", "", "podman" },
    { "cri-containerd-", ".scope", "containerd" },
    { "crio-", ".scope", "crio" },
    { "crio-", "", "crio" },
    { "docker-", ".scope", "docker" },
  };
  size_t i;

  if (name == NULL)
    return false;
  if (starts (name, "libpod-conmon-") || starts (name, "crio-conmon-"))
    return false;
  for (i = 0; i < sizeof forms / sizeof forms[0]; i++)
    if (starts (name, forms[i].prefix)
        && hex_id (name + strlen (forms[i].prefix), forms[i].suffix, id))
      {
        *engine = forms[i].engine;
        return true;
      }
  if (!hex_id (name, "", id))
    return false;
  parent = parent ? parent : "";
  if (strcmp (parent, "docker") == 0)
    *engine = "docker";
  else if (starts (parent, "pod") || starts (parent, "kubepods"))
    *engine = "containerd";
  else
    *engine = "unknown";
  return true;
}

json_t *
observe_record (const struct observe_count *c)
{
  static const char *const identity[] = { "namespace", "pod", "container", "image", NULL };
  json_t *rec = json_pack ("{s:s, s:s, s:s, s:s}", "time", c->until, "kind", "observed", "id",
                           c->id, "engine", c->engine);
  size_t i;

  for (i = 0; identity[i]; i++)
    {
      json_t *v = c->identity ? json_object_get (c->identity, identity[i]) : NULL;
      json_object_set_new (rec, identity[i], json_is_string (v) ? json_copy (v) : json_null ());
    }
  if (c->identity && json_is_array (json_object_get (c->identity, "held")))
    json_object_set (rec, "held", json_object_get (c->identity, "held"));
  json_object_set_new (rec, "capability", json_string (capset_name (c->cap)));
  json_object_set_new (rec, "result", json_string (c->granted ? "used" : "refused"));
  json_object_set_new (rec, "in_user_namespace", json_boolean (c->in_userns));
  json_object_set_new (rec, "count", json_integer ((json_int_t)c->count));
  json_object_set_new (rec, "first", json_string (c->first));
  json_object_set_new (rec, "last", json_string (c->last));
  json_object_set_new (rec, "since", json_string (c->since));
  return rec;
}

static int
check_string (const json_t *rec, const char *key, bool nullable, struct error **err)
{
  json_t *v = json_object_get (rec, key);

  if (json_is_string (v) || (nullable && json_is_null (v)))
    return 0;
  return make_error (err, 0, "`%s` must be a string%s", key, nullable ? " or null" : "");
}

int
observe_record_check (const json_t *rec, struct error **err)
{
  static const char *const strings[] = { "time", "id", "engine", "first", "last", "since", NULL };
  static const char *const nullable[] = { "namespace", "pod", "container", "image", NULL };
  const char *cap, *result;
  json_t *count = json_object_get (rec, "count"), *v;
  size_t i;

  if (!json_is_object (rec) || !json_is_string (json_object_get (rec, "kind"))
      || strcmp (json_string_value (json_object_get (rec, "kind")), "observed") != 0)
    return make_error (err, 0, "not an observation record (`kind` must be \"observed\")");
  for (i = 0; strings[i]; i++)
    if (check_string (rec, strings[i], false, err) < 0)
      return -1;
  for (i = 0; nullable[i]; i++)
    if (check_string (rec, nullable[i], true, err) < 0)
      return -1;
  cap = json_string_value (json_object_get (rec, "capability"));
  if (cap == NULL || capset_parse_config_name (cap, 63) < 0)
    return make_error (err, 0, "`capability` must name a capability");
  result = json_string_value (json_object_get (rec, "result"));
  if (result == NULL || (strcmp (result, "used") != 0 && strcmp (result, "refused") != 0))
    return make_error (err, 0, "`result` must be \"used\" or \"refused\"");
  if (!json_is_boolean (json_object_get (rec, "in_user_namespace")))
    return make_error (err, 0, "`in_user_namespace` must be true or false");
  if (!json_is_integer (count) || json_integer_value (count) < 1)
    return make_error (err, 0, "`count` must be a positive integer");
  if ((v = json_object_get (rec, "held")) != NULL)
    {
      json_t *x;
      if (!json_is_array (v))
        return make_error (err, 0, "`held` must be an array of capability names");
      json_array_foreach (v, i, x)
        if (!json_is_string (x) || capset_parse_config_name (json_string_value (x), 63) < 0)
          return make_error (err, 0, "`held` must be an array of capability names");
    }
  return 0;
}
