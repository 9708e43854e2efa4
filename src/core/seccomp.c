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

/* The helpers below leave PATH (DEPTH deep) at what they found wrong.  */
#define WHERE struct jsontext_step *path, size_t *depth, bool *at_key

static int
check_architectures (const json_t *v, WHERE, struct error **err)
{
  json_t *a;
  size_t i;

  (void)at_key;
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
  return 0;
}

/* One of a syscall rule's `args`.  */
static int
check_arg (const json_t *arg, WHERE, struct error **err)
{
  json_t *index = json_object_get (arg, "index");
  json_t *value_two = json_object_get (arg, "valueTwo");

  if (!json_is_object (arg)
      || check_keys (arg, arg_keys, "a syscall argument", path, depth, at_key, err) < 0)
    return *err ? -1 : make_error (err, 0, "each argument must be an object");
  if (!json_is_integer (index) || json_integer_value (index) < 0 || json_integer_value (index) > 5)
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
  if (value_two && !json_is_integer (value_two))
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
  return 0;
}

static int
check_names (const json_t *rule, WHERE, struct error **err)
{
  json_t *names = json_object_get (rule, "names"), *x;
  size_t j;

  (void)at_key;
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
  return 0;
}

/* One element of `syscalls`.  */
static int
check_rule (const json_t *rule, WHERE, struct error **err)
{
  json_t *x, *args, *arg;
  size_t j;

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
  if (x && (!json_is_integer (x) || json_integer_value (x) < 0 || json_integer_value (x) > 4095))
    {
      AT ("errnoRet", 0);
      return make_error (err, 0, "`errnoRet` must be an errno number");
    }
  if (check_names (rule, path, depth, at_key, err) < 0)
    return -1;
  if ((args = json_object_get (rule, "args")) == NULL)
    return 0;
  AT ("args", 0);
  if (!json_is_array (args))
    return make_error (err, 0, "`args` must be an array");
  json_array_foreach (args, j, arg)
    {
      AT (NULL, j);
      if (check_arg (arg, path, depth, at_key, err) < 0)
        return -1;
      (*depth)--;
    }
  (*depth)--;
  return 0;
}

int
seccomp_profile_check (const json_t *profile, struct jsontext_step path[SECCOMP_PATH_MAX],
                       size_t *depth, bool *at_key, struct error **err)
{
  json_t *v, *rule;
  size_t i;

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
  if ((v = json_object_get (profile, "architectures"))
      && check_architectures (v, path, depth, at_key, err) < 0)
    return -1;
  if ((v = json_object_get (profile, "syscalls")) == NULL)
    return 0;
  AT ("syscalls", 0);
  if (!json_is_array (v))
    return make_error (err, 0, "`syscalls` must be an array");
  json_array_foreach (v, i, rule)
    {
      AT (NULL, i);
      if (check_rule (rule, path, depth, at_key, err) < 0)
        return -1;
      (*depth)--;
    }
  return 0;
}
#undef WHERE

json_t *
seccomp_profile_for_config (const json_t *profile)
{
  json_t *copy = json_deep_copy (profile), *rule;
  size_t i;

  json_array_foreach (json_object_get (copy, "syscalls"), i, rule)
    json_object_del (rule, "comment");
  return copy;
}

/* User namespaces.  CLONE_NEWUSER (0x10000000) in the flags of unshare
   and clone (their first argument on x86-64 and arm64) makes a user
   namespace; clone3 passes its flags in memory, which seccomp cannot
   read, so it can only be denied whole (ENOSYS, and libc falls back to
   clone).  */
#define CLONE_NEWUSER_FLAG 0x10000000ULL

static const char *const userns_calls[] = { "unshare", "clone", "clone3", NULL };

static bool
denies (const char *action)
{
  return action
         && (strcmp (action, "SCMP_ACT_ERRNO") == 0 || strncmp (action, "SCMP_ACT_KILL", 13) == 0
             || strcmp (action, "SCMP_ACT_TRAP") == 0);
}

static bool
names_hold (const json_t *rule, const char *name)
{
  json_t *n;
  size_t i;

  json_array_foreach (json_object_get (rule, "names"), i, n)
    if (json_is_string (n) && strcmp (json_string_value (n), name) == 0)
      return true;
  return false;
}

/* Whether RULE's conditions can all hold for a call whose first argument
   is exactly CLONE_NEWUSER (the other arguments are the caller's, so any
   condition on them may hold).  */
static bool
may_hold_for_newuser (const json_t *rule)
{
  json_t *arg;
  size_t i;

  json_array_foreach (json_object_get (rule, "args"), i, arg)
    {
      json_int_t index = json_integer_value (json_object_get (arg, "index"));
      uint64_t value = (uint64_t)json_integer_value (json_object_get (arg, "value"));
      uint64_t two = (uint64_t)json_integer_value (json_object_get (arg, "valueTwo"));
      const char *op = json_string_value (json_object_get (arg, "op"));
      uint64_t a = CLONE_NEWUSER_FLAG;

      if (index != 0 || op == NULL)
        continue;
      if ((strcmp (op, "SCMP_CMP_MASKED_EQ") == 0 && (a & value) != two)
          || (strcmp (op, "SCMP_CMP_EQ") == 0 && a != value)
          || (strcmp (op, "SCMP_CMP_NE") == 0 && a == value)
          || (strcmp (op, "SCMP_CMP_LT") == 0 && !(a < value))
          || (strcmp (op, "SCMP_CMP_LE") == 0 && !(a <= value))
          || (strcmp (op, "SCMP_CMP_GT") == 0 && !(a > value))
          || (strcmp (op, "SCMP_CMP_GE") == 0 && !(a >= value)))
        return false;
    }
  return true;
}

const char *
seccomp_profile_opens_userns (const json_t *seccomp)
{
  const char *def = json_string_value (json_object_get (seccomp, "defaultAction"));
  size_t i, j;
  json_t *rule;

  if (!json_is_object (seccomp))
    return "no seccomp profile";
  for (i = 0; userns_calls[i]; i++)
    {
      bool matched = false, allowed = false;
      json_array_foreach (json_object_get (seccomp, "syscalls"), j, rule)
        {
          if (!names_hold (rule, userns_calls[i]) || !may_hold_for_newuser (rule))
            continue;
          matched = true;
          /* An allowing rule that may apply wins: seccomp takes the most
             permissive of what the caller can reach by choosing the other
             arguments.  */
          if (!denies (json_string_value (json_object_get (rule, "action"))))
            allowed = true;
        }
      if (allowed || (!matched && !denies (def)))
        return userns_calls[i][0] == 'u'   ? "unshare(CLONE_NEWUSER) is allowed"
               : userns_calls[i][5] == '3' ? "clone3 is allowed (its flags cannot be checked)"
                                           : "clone(CLONE_NEWUSER) is allowed";
    }
  return NULL;
}

int
seccomp_profile_deny_userns (json_t *profile, struct error **err)
{
  struct jsontext_step path[SECCOMP_PATH_MAX];
  json_t *syscalls = json_object_get (profile, "syscalls"), *rule, *allow;
  json_auto_t *kept = json_array ();
  size_t i, depth;
  bool at_key;

  if (syscalls == NULL || json_is_null (syscalls))
    json_object_set_new (profile, "syscalls", syscalls = json_array ());
  if (!json_is_array (syscalls))
    return make_error (err, 0, "linux.seccomp.syscalls: expected an array");
  /* The three calls leave every allowing rule; unshare and clone come
     back allowed when the flag is clear, with the rule's own conditions.
     A rule that already compares their first argument cannot take a
     second comparison of it (libseccomp): such a profile is refused.  */
  json_array_foreach (syscalls, i, rule)
    {
      json_t *names = json_object_get (rule, "names"), *n;
      json_auto_t *rest = json_array ();
      const char *action = json_string_value (json_object_get (rule, "action"));
      size_t k;

      if (denies (action) || !json_is_array (names))
        {
          json_array_append (kept, rule);
          continue;
        }
      json_array_foreach (names, k, n)
        {
          const char *name = json_string_value (n);
          json_t *arg;
          size_t a;

          if (name == NULL
              || (strcmp (name, "unshare") != 0 && strcmp (name, "clone") != 0
                  && strcmp (name, "clone3") != 0))
            {
              json_array_append (rest, n);
              continue;
            }
          if (strcmp (name, "clone3") == 0)
            continue;
          json_array_foreach (json_object_get (rule, "args"), a, arg)
            if (json_integer_value (json_object_get (arg, "index")) == 0)
              return make_error (err, 0,
                                 "linux.seccomp: a rule for `%s` already compares its flags: "
                                 "capguard cannot add the user-namespace condition to it",
                                 name);
          allow = json_deep_copy (rule);
          json_object_set_new (allow, "names", json_pack ("[s]", name));
          if (!json_is_array (json_object_get (allow, "args")))
            json_object_set_new (allow, "args", json_array ());
          json_array_append_new (json_object_get (allow, "args"),
                                 json_pack ("{s:i, s:I, s:I, s:s}", "index", 0, "value",
                                            (json_int_t)CLONE_NEWUSER_FLAG, "valueTwo",
                                            (json_int_t)0, "op", "SCMP_CMP_MASKED_EQ"));
          json_array_append_new (kept, allow);
        }
      if (json_array_size (rest) > 0)
        {
          json_t *copy = json_copy (rule);
          json_object_set (copy, "names", rest);
          json_array_append_new (kept, copy);
        }
    }
  json_array_append_new (
      kept, json_pack ("{s:[s,s], s:s, s:i, s:[{s:i, s:I, s:I, s:s}]}", "names", "unshare", "clone",
                       "action", "SCMP_ACT_ERRNO", "errnoRet", 1, "args", "index", 0, "value",
                       (json_int_t)CLONE_NEWUSER_FLAG, "valueTwo", (json_int_t)CLONE_NEWUSER_FLAG,
                       "op", "SCMP_CMP_MASKED_EQ"));
  json_array_append_new (kept, json_pack ("{s:[s], s:s, s:i}", "names", "clone3", "action",
                                          "SCMP_ACT_ERRNO", "errnoRet", 38));
  json_object_set (profile, "syscalls", kept);
  /* The result goes to the runtime as it is: libseccomp must know every
     name and value in it.  */
  if (seccomp_profile_check (profile, path, &depth, &at_key, err) < 0)
    return error_wrap (err, "linux.seccomp after denying user namespaces");
  return 0;
}
