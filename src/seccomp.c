/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <seccomp.h>

#include "seccomp_util.h"
#include "util.h"

void
seccomp_library_version (char *buf, size_t len)
{
  const struct scmp_version *v = seccomp_version ();

  snprintf (buf, len, "%u.%u.%u", v->major, v->minor, v->micro);
}

/* The names of runtime-spec config-linux.md#seccomp.  */
static const char *const actions[] = { "SCMP_ACT_KILL",        "SCMP_ACT_KILL_PROCESS",
                                       "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
                                       "SCMP_ACT_ERRNO",       "SCMP_ACT_TRACE",
                                       "SCMP_ACT_ALLOW",       "SCMP_ACT_LOG",
                                       "SCMP_ACT_NOTIFY",      NULL };
static const char *const ops[]
    = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",        "SCMP_CMP_EQ",
        "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", NULL };
static const char *const profile_keys[]
    = { "defaultAction", "defaultErrnoRet",  "architectures", "flags",
        "listenerPath",  "listenerMetadata", "syscalls",      NULL };
static const char *const rule_keys[] = { "names", "action", "errnoRet", "args", "comment", NULL };
static const char *const arg_keys[] = { "index", "value", "valueTwo", "op", NULL };

static bool
known (const char *s, const char *const *list)
{
  size_t i;

  for (i = 0; s && list[i]; i++)
    if (strcmp (s, list[i]) == 0)
      return true;
  return false;
}

#define AT(k, i) (path[*depth].key = (k), path[*depth].index = (i), (*depth)++)

static int
check_keys (const json_t *obj, const char *const *allowed, const char *where,
            struct jsontext_step *path, size_t *depth, bool *at_key, struct error **err)
{
  const char *key;
  json_t *v;

  json_object_foreach ((json_t *)obj, key, v)
    {
      if (!known (key, allowed))
        {
          AT (key, 0);
          *at_key = true;
          return make_error (err, 0, "unknown key `%s` in %s", key, where);
        }
    }
  return 0;
}

/* "SCMP_ARCH_X86_64" is libseccomp's "x86_64".  */
static bool
arch_known (const char *name)
{
  char lower[64];
  size_t i;

  if (strncmp (name, "SCMP_ARCH_", 10) != 0 || strlen (name + 10) >= sizeof lower)
    return false;
  for (i = 0; name[10 + i]; i++)
    lower[i] = tolower ((unsigned char)name[10 + i]);
  lower[i] = '\0';
  return seccomp_arch_resolve_name (lower) != 0;
}

int
seccomp_profile_check (const json_t *profile, struct jsontext_step path[SECCOMP_PATH_MAX],
                       size_t *depth, bool *at_key, struct error **err)
{
  json_t *v, *rule;
  size_t i, j;

  *depth = 0;
  *at_key = false;
  if (!json_is_object (profile))
    return make_error (err, 0, "a seccomp profile must be an object");
  if (check_keys (profile, profile_keys, "the seccomp profile", path, depth, at_key, err) < 0)
    return -1;
  v = json_object_get (profile, "defaultAction");
  if (!known (json_string_value (v), actions))
    {
      if (v)
        AT ("defaultAction", 0);
      return make_error (err, 0, "`defaultAction` must be one of the SCMP_ACT_* actions");
    }
  v = json_object_get (profile, "architectures");
  if (v)
    {
      json_t *a;
      AT ("architectures", 0);
      if (!json_is_array (v))
        return make_error (err, 0, "`architectures` must be an array");
      json_array_foreach (v, i, a)
        if (!json_is_string (a) || !arch_known (json_string_value (a)))
          {
            AT (NULL, i);
            return make_error (err, 0, "architecture `%s` is not known to libseccomp",
                               json_is_string (a) ? json_string_value (a) : "?");
          }
      (*depth)--;
    }
  v = json_object_get (profile, "syscalls");
  if (v == NULL)
    return 0;
  AT ("syscalls", 0);
  if (!json_is_array (v))
    return make_error (err, 0, "`syscalls` must be an array");
  json_array_foreach (v, i, rule)
    {
      json_t *names, *args, *x, *arg;

      AT (NULL, i);
      if (!json_is_object (rule))
        return make_error (err, 0, "each syscall rule must be an object");
      if (check_keys (rule, rule_keys, "a syscall rule", path, depth, at_key, err) < 0)
        return -1;
      if (!known (json_string_value (json_object_get (rule, "action")), actions))
        {
          AT ("action", 0);
          return make_error (err, 0, "`action` must be one of the SCMP_ACT_* actions");
        }
      x = json_object_get (rule, "errnoRet");
      if (x
          && (!json_is_integer (x) || json_integer_value (x) < 0 || json_integer_value (x) > 4095))
        {
          AT ("errnoRet", 0);
          return make_error (err, 0, "`errnoRet` must be an errno number");
        }
      names = json_object_get (rule, "names");
      if (!json_is_array (names) || json_array_size (names) == 0)
        return make_error (err, 0, "each syscall rule needs `names`");
      AT ("names", 0);
      json_array_foreach (names, j, x)
        if (!json_is_string (x)
            || seccomp_syscall_resolve_name (json_string_value (x)) == __NR_SCMP_ERROR)
          {
            AT (NULL, j);
            return make_error (err, 0, "syscall `%s` is not known to libseccomp",
                               json_is_string (x) ? json_string_value (x) : "?");
          }
      (*depth)--;
      args = json_object_get (rule, "args");
      if (args)
        {
          AT ("args", 0);
          if (!json_is_array (args))
            return make_error (err, 0, "`args` must be an array");
          json_array_foreach (args, j, arg)
            {
              json_t *index = json_object_get (arg, "index");
              AT (NULL, j);
              if (!json_is_object (arg)
                  || check_keys (arg, arg_keys, "a syscall argument", path, depth, at_key, err) < 0)
                return *err ? -1 : make_error (err, 0, "each argument must be an object");
              if (!json_is_integer (index) || json_integer_value (index) < 0
                  || json_integer_value (index) > 5)
                {
                  if (index)
                    AT ("index", 0);
                  return make_error (err, 0, "`index` must be 0 to 5");
                }
              if (!json_is_integer (json_object_get (arg, "value")))
                {
                  if (json_object_get (arg, "value"))
                    AT ("value", 0);
                  return make_error (err, 0, "`value` must be an integer");
                }
              if (json_object_get (arg, "valueTwo")
                  && !json_is_integer (json_object_get (arg, "valueTwo")))
                {
                  AT ("valueTwo", 0);
                  return make_error (err, 0, "`valueTwo` must be an integer");
                }
              if (!known (json_string_value (json_object_get (arg, "op")), ops))
                {
                  if (json_object_get (arg, "op"))
                    AT ("op", 0);
                  return make_error (err, 0, "`op` must be one of the SCMP_CMP_* comparisons");
                }
              (*depth)--;
            }
          (*depth)--;
        }
      (*depth)--;
    }
  return 0;
}

json_t *
seccomp_profile_for_config (const json_t *profile)
{
  json_t *copy = json_deep_copy (profile), *rule;
  size_t i;

  json_array_foreach (json_object_get (copy, "syscalls"), i, rule)
    json_object_del (rule, "comment");
  return copy;
}
