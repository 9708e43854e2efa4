/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stdint.h>
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
  if (!json_is_integer (json_object_get (arg, "value"))
      || json_integer_value (json_object_get (arg, "value")) < 0)
    {
      if (json_object_get (arg, "value"))
        AT ("value", 0);
      return make_error (err, 0, "`value` must be an integer, 0 or more");
    }
  if (value_two && (!json_is_integer (value_two) || json_integer_value (value_two) < 0))
    {
      AT ("valueTwo", 0);
      return make_error (err, 0, "`valueTwo` must be an integer, 0 or more");
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
   and clone makes a user namespace; clone3 passes its flags in memory,
   which seccomp cannot read, so it can only be denied whole (ENOSYS, and
   libc falls back to clone).

   The profile is judged as runc 1.1 compiles it with libseccomp 2.5: one
   rule per name, in order; a rule whose action (and errno) is the
   default's is left out; a rule that compares one argument more than
   once becomes one rule per comparison (each alone: OR, not AND); the
   rest one rule with every comparison (AND).  In libseccomp a rule that
   compares nothing decides its call alone: the first such rule of a call
   wins and every other rule of that call is dropped, before or after it.
   Among rules that compare, a call "may" be let through when some flags
   value with CLONE_NEWUSER set (and some value of the arguments the
   caller chooses) meets every comparison of an allowing rule; it is
   "surely" denied when every such value meets a denying rule that
   compares nothing else.  Where both may apply, libseccomp's order is not
   assumed: the call counts as allowed.

   The values here are JSON integers, 0 to 2^63-1: a mask capguard writes
   cannot hold bit 63, so a value at or above 2^63 (which unshare refuses
   and clone ignores: its flags are 32 bits) follows the value 2^63 below
   it.  */
#define CLONE_NEWUSER_FLAG 0x10000000ULL
#define ARG_MAX_VALUE UINT64_MAX
#define JSON_MAX_VALUE 0x7fffffffffffffffULL

/* Actions that stop the call; the others (ALLOW, LOG, and TRACE and
   NOTIFY, where someone else decides) let it run.  */
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

/* The argument that holds the flags of CALL on this machine's
   architecture: clone's is the second on s390 and s390x.  */
static int
flags_index (const char *call)
{
  uint32_t native = seccomp_arch_native ();

  return strcmp (call, "clone") == 0 && (native == SCMP_ARCH_S390 || native == SCMP_ARCH_S390X) ? 1
                                                                                                : 0;
}

struct cond
{
  int index;
  const char *op;
  uint64_t v, two;
};

static struct cond
cond_of (const json_t *arg)
{
  struct cond c = {
    .index = (int)json_integer_value (json_object_get (arg, "index")),
    .op = json_string_value (json_object_get (arg, "op")),
    .v = (uint64_t)json_integer_value (json_object_get (arg, "value")),
    .two = (uint64_t)json_integer_value (json_object_get (arg, "valueTwo")),
  };
  if (c.op == NULL)
    c.op = "";
  /* libseccomp masks the datum too: "(x & value) == (valueTwo & value)".  */
  if (strcmp (c.op, "SCMP_CMP_MASKED_EQ") == 0)
    c.two &= c.v;
  return c;
}

static bool
op_is (const struct cond *c, const char *op)
{
  return strcmp (c->op, op) == 0;
}

/* Whether some value meets C (a comparison of an argument the caller
   chooses freely).  */
static bool
satisfiable (const struct cond *c)
{
  if (op_is (c, "SCMP_CMP_MASKED_EQ"))
    return (c->two & ~c->v) == 0;
  if (op_is (c, "SCMP_CMP_LT"))
    return c->v > 0;
  if (op_is (c, "SCMP_CMP_GT"))
    return c->v < ARG_MAX_VALUE;
  return true;
}

/* Whether every value meets C.  */
static bool
always (const struct cond *c)
{
  return (op_is (c, "SCMP_CMP_MASKED_EQ") && c->v == 0 && c->two == 0)
         || (op_is (c, "SCMP_CMP_GE") && c->v == 0)
         || (op_is (c, "SCMP_CMP_LE") && c->v == ARG_MAX_VALUE);
}

/* Whether some flags value with CLONE_NEWUSER set meets C.  */
static bool
some_newuser (const struct cond *c)
{
  const uint64_t bit = CLONE_NEWUSER_FLAG;

  if (op_is (c, "SCMP_CMP_MASKED_EQ"))
    return (c->two & ~c->v) == 0 && (!(c->v & bit) || (c->two & bit));
  if (op_is (c, "SCMP_CMP_EQ"))
    return (c->v & bit) != 0;
  if (op_is (c, "SCMP_CMP_NE"))
    return true;
  if (op_is (c, "SCMP_CMP_LT"))
    return c->v > bit;
  if (op_is (c, "SCMP_CMP_LE"))
    return c->v >= bit;
  if (op_is (c, "SCMP_CMP_GT"))
    return c->v < ARG_MAX_VALUE;
  return true; /* GE, and anything unknown: may */
}

/* Whether every flags value with CLONE_NEWUSER set meets C.  */
static bool
all_newuser (const struct cond *c)
{
  const uint64_t bit = CLONE_NEWUSER_FLAG;

  if (op_is (c, "SCMP_CMP_MASKED_EQ"))
    return (c->v == 0 && c->two == 0) || (c->v == bit && c->two == bit);
  if (op_is (c, "SCMP_CMP_NE"))
    return !(c->v & bit);
  if (op_is (c, "SCMP_CMP_LE"))
    return c->v == ARG_MAX_VALUE;
  if (op_is (c, "SCMP_CMP_GT"))
    return c->v < bit;
  if (op_is (c, "SCMP_CMP_GE"))
    return c->v <= bit;
  return false;
}

/* runc's pieces of a rule's ARGS: one per comparison when an argument is
   compared more than once, else the whole list.  Returns how many, their
   comparisons in PIECES[i] (N[i] each, at most 6 per piece); a rule that
   compares nothing is one piece of none.  */
#define PIECES_MAX 64
static size_t
runc_pieces (const json_t *args, struct cond pieces[][6], size_t *n)
{
  struct cond all[PIECES_MAX];
  int count[6] = { 0 };
  bool split = false;
  size_t i, k = 0;
  json_t *arg;

  json_array_foreach ((json_t *)args, i, arg)
    {
      if (k == PIECES_MAX)
        break;
      all[k] = cond_of (arg);
      if (all[k].index >= 0 && all[k].index < 6 && ++count[all[k].index] > 1)
        split = true;
      k++;
    }
  if (!split)
    {
      for (i = 0; i < k; i++)
        pieces[0][i] = all[i];
      n[0] = k;
      return 1;
    }
  for (i = 0; i < k; i++)
    {
      pieces[i][0] = all[i];
      n[i] = 1;
    }
  return k;
}

/* An action with its errno, as runc turns it into libseccomp's: a rule
   whose action equals the default one is left out.  */
static bool
same_as_default (const json_t *rule, const json_t *profile)
{
  const char *action = json_string_value (json_object_get (rule, "action"));
  const char *def = json_string_value (json_object_get (profile, "defaultAction"));
  json_t *ret = json_object_get (rule, "errnoRet");
  json_t *def_ret = json_object_get (profile, "defaultErrnoRet");

  if (action == NULL || def == NULL || strcmp (action, def) != 0)
    return false;
  if (strcmp (action, "SCMP_ACT_ERRNO") != 0 && strcmp (action, "SCMP_ACT_TRACE") != 0)
    return true;
  return (ret ? json_integer_value (ret) : 1) == (def_ret ? json_integer_value (def_ret) : 1);
}

/* Whether RULE is one runc hands libseccomp for CALL.  */
static bool
counts_for (const json_t *rule, const json_t *profile, const char *call)
{
  return names_hold (rule, call) && !same_as_default (rule, profile);
}

/* Whether libseccomp makes RULE compare nothing: it drops a comparison
   of no bits (MASKED_EQ with a mask of 0) before it builds the rule.  */
static bool
compares_nothing (const json_t *rule)
{
  json_t *arg;
  size_t i;

  json_array_foreach (json_object_get (rule, "args"), i, arg)
    {
      struct cond c = cond_of (arg);
      if (!op_is (&c, "SCMP_CMP_MASKED_EQ") || c.v != 0)
        return false;
    }
  return true;
}

/* The first rule of CALL that compares nothing, which libseccomp lets
   decide CALL alone; NULL when there is none.  */
static const json_t *
deciding_rule (const json_t *profile, const char *call)
{
  json_t *rule;
  size_t i;

  json_array_foreach (json_object_get (profile, "syscalls"), i, rule)
    if (counts_for (rule, profile, call) && compares_nothing (rule))
      return rule;
  return NULL;
}

static bool
rule_denies (const json_t *rule)
{
  return denies (json_string_value (json_object_get (rule, "action")));
}

/* Whether CALL (unshare or clone) with CLONE_NEWUSER is let through by
   PROFILE, as runc compiles it.  */
static bool
call_opens (const json_t *profile, const char *call)
{
  const json_t *decides = deciding_rule (profile, call);
  int fi = flags_index (call);
  bool allow_some = false, deny_all = false;
  json_t *rule;
  size_t i, p, c;

  if (decides)
    return !rule_denies (decides);
  json_array_foreach (json_object_get (profile, "syscalls"), i, rule)
    {
      struct cond pieces[PIECES_MAX][6];
      size_t n[PIECES_MAX], np;
      bool allows = !rule_denies (rule);

      if (!counts_for (rule, profile, call))
        continue;
      np = runc_pieces (json_object_get (rule, "args"), pieces, n);
      for (p = 0; p < np; p++)
        {
          bool some = true, all = true;
          for (c = 0; c < n[p]; c++)
            {
              const struct cond *x = &pieces[p][c];
              some = some && (x->index == fi ? some_newuser (x) : satisfiable (x));
              all = all && (x->index == fi ? all_newuser (x) : always (x));
            }
          allow_some = allow_some || (allows && some);
          deny_all = deny_all || (!allows && all);
        }
    }
  if (allow_some)
    return true;
  return !denies (json_string_value (json_object_get (profile, "defaultAction"))) && !deny_all;
}

/* clone3's flags are in memory: any allowing rule may let it through.  */
static bool
clone3_opens (const json_t *profile)
{
  const json_t *decides = deciding_rule (profile, "clone3");
  json_t *rule;
  size_t i;

  if (decides)
    return !rule_denies (decides);
  json_array_foreach (json_object_get (profile, "syscalls"), i, rule)
    if (counts_for (rule, profile, "clone3") && !rule_denies (rule))
      return true;
  return !denies (json_string_value (json_object_get (profile, "defaultAction")));
}

const char *
seccomp_profile_opens_userns (const json_t *seccomp, const char **call)
{
  const char *c = NULL, *why = NULL;

  if (!json_is_object (seccomp))
    c = "none", why = "no seccomp profile";
  else if (call_opens (seccomp, "unshare"))
    c = "unshare", why = "unshare(CLONE_NEWUSER) is allowed";
  else if (call_opens (seccomp, "clone"))
    c = "clone", why = "clone(CLONE_NEWUSER) is allowed";
  else if (clone3_opens (seccomp))
    c = "clone3", why = "clone3 is allowed (its flags cannot be checked)";
  if (call)
    *call = c;
  return why;
}

static json_t *
cond_json (const struct cond *c)
{
  return json_pack ("{s:i, s:I, s:I, s:s}", "index", c->index, "value", (json_int_t)c->v,
                    "valueTwo", (json_int_t)c->two, "op", c->op);
}

/* The comparison "CLONE_NEWUSER clear" of argument INDEX.  */
static struct cond
newuser_clear (int index)
{
  return (struct cond){ .index = index, .op = "SCMP_CMP_MASKED_EQ", .v = CLONE_NEWUSER_FLAG };
}

/* The values LO to HI (at most JSON_MAX_VALUE) with CLONE_NEWUSER clear,
   as aligned blocks "(x & mask) == base" appended to OUT (room for 128).
   The masks leave bit 63 out (see above).  */
static size_t
range_blocks (uint64_t lo, uint64_t hi, int index, struct cond *out, size_t n)
{
  const uint64_t bit = CLONE_NEWUSER_FLAG;

  if (hi > JSON_MAX_VALUE)
    hi = JSON_MAX_VALUE;
  while (lo <= hi)
    {
      int k = lo == 0 ? 63 : __builtin_ctzll (lo);
      uint64_t span;

      if (k > 63)
        k = 63;
      while (k > 0 && ((1ULL << k) - 1) > hi - lo)
        k--;
      span = (1ULL << k) - 1;
      if (k > 28)
        out[n++] = (struct cond){
          .index = index, .op = "SCMP_CMP_MASKED_EQ", .v = (JSON_MAX_VALUE & ~span) | bit, .two = lo
        };
      else if (!(lo & bit))
        out[n++] = (struct cond){
          .index = index, .op = "SCMP_CMP_MASKED_EQ", .v = JSON_MAX_VALUE & ~span, .two = lo
        };
      if (hi - lo == span)
        break;
      lo += span + 1;
    }
  return n;
}

/* The comparisons of the flags, one of which holds exactly when C holds
   and CLONE_NEWUSER is clear, in OUT (room for 128); how many (none when
   C holds only with CLONE_NEWUSER set).  */
static size_t
without_newuser (const struct cond *c, struct cond *out)
{
  const uint64_t bit = CLONE_NEWUSER_FLAG;
  struct cond x = *c;
  size_t n = 0;

  if (op_is (c, "SCMP_CMP_MASKED_EQ"))
    {
      if ((c->two & ~c->v) != 0 || (c->two & bit))
        return 0;
      x.v |= bit;
      out[n++] = x;
    }
  else if (op_is (c, "SCMP_CMP_EQ"))
    {
      if (!(c->v & bit))
        out[n++] = x;
    }
  else if (op_is (c, "SCMP_CMP_NE"))
    {
      if (c->v & bit)
        out[n++] = newuser_clear (c->index);
      else
        {
          if (c->v > 0)
            n = range_blocks (0, c->v - 1, c->index, out, n);
          if (c->v < ARG_MAX_VALUE)
            n = range_blocks (c->v + 1, ARG_MAX_VALUE, c->index, out, n);
        }
    }
  else if (op_is (c, "SCMP_CMP_LT"))
    {
      if (c->v > 0)
        n = range_blocks (0, c->v - 1, c->index, out, n);
    }
  else if (op_is (c, "SCMP_CMP_LE"))
    n = range_blocks (0, c->v, c->index, out, n);
  else if (op_is (c, "SCMP_CMP_GT"))
    {
      if (c->v < ARG_MAX_VALUE)
        n = range_blocks (c->v + 1, ARG_MAX_VALUE, c->index, out, n);
    }
  else if (op_is (c, "SCMP_CMP_GE"))
    n = range_blocks (c->v, ARG_MAX_VALUE, c->index, out, n);
  return n;
}

/* PIECE (N comparisons) of an allowing RULE for CALL, made to hold only
   when CLONE_NEWUSER is clear: one rule per block of flags values, each a
   libseccomp rule runc will not split, appended to KEPT.  */
static void
compose (const json_t *rule, const char *call, const struct cond *piece, size_t n, json_t *kept)
{
  struct cond blocks[128];
  size_t nblocks = 0, i, b, at = n;
  int fi = flags_index (call);

  for (i = 0; i < n; i++)
    if (piece[i].index == fi)
      at = i;
  if (at == n)
    blocks[nblocks++] = newuser_clear (fi);
  else
    nblocks = without_newuser (&piece[at], blocks);
  for (b = 0; b < nblocks; b++)
    {
      json_t *copy = json_deep_copy (rule), *args = json_array ();
      for (i = 0; i < n; i++)
        if (i != at)
          json_array_append_new (args, cond_json (&piece[i]));
      json_array_append_new (args, cond_json (&blocks[b]));
      json_object_set_new (copy, "names", json_pack ("[s]", call));
      json_object_set_new (copy, "args", args);
      json_array_append_new (kept, copy);
    }
}

/* RULE's part for CALL (unshare or clone), in KEPT: every piece made to
   hold only when CLONE_NEWUSER is clear, so that no rule of the profile's
   meets capguard's denial (libseccomp refuses two actions on one
   comparison, and picks one by its own order where two rules overlap).
   DECIDES is the call's deciding rule, if any: then every other rule of
   the call is dropped, as libseccomp drops it, and a deciding denial is
   kept as it is.  */
static void
rewrite_call (const json_t *rule, const char *call, const json_t *decides, json_t *kept)
{
  struct cond pieces[PIECES_MAX][6];
  size_t count[PIECES_MAX], np, p;
  json_t *copy;

  if (decides && rule != decides)
    return;
  if (decides && rule_denies (rule))
    {
      copy = json_deep_copy (rule);
      json_object_set_new (copy, "names", json_pack ("[s]", call));
      json_array_append_new (kept, copy);
      return;
    }
  np = runc_pieces (json_object_get (rule, "args"), pieces, count);
  for (p = 0; p < np; p++)
    compose (rule, call, pieces[p], count[p], kept);
}

/* The set of values a comparison holds for, as up to two ranges or one
   pattern "(x & mask) == bits".  */
struct values
{
  bool pattern;
  uint64_t mask, bits;
  size_t n;
  uint64_t lo[2], hi[2];
};

static struct values
values_of (const struct cond *c)
{
  struct values s = { 0 };

  if (op_is (c, "SCMP_CMP_MASKED_EQ"))
    return (struct values){ .pattern = true, .mask = c->v, .bits = c->two };
  if (op_is (c, "SCMP_CMP_EQ"))
    s.lo[s.n] = c->v, s.hi[s.n++] = c->v;
  else if (op_is (c, "SCMP_CMP_NE"))
    {
      if (c->v > 0)
        s.lo[s.n] = 0, s.hi[s.n++] = c->v - 1;
      if (c->v < ARG_MAX_VALUE)
        s.lo[s.n] = c->v + 1, s.hi[s.n++] = ARG_MAX_VALUE;
    }
  else if (op_is (c, "SCMP_CMP_LT"))
    {
      if (c->v > 0)
        s.lo[s.n] = 0, s.hi[s.n++] = c->v - 1;
    }
  else if (op_is (c, "SCMP_CMP_LE"))
    s.lo[s.n] = 0, s.hi[s.n++] = c->v;
  else if (op_is (c, "SCMP_CMP_GT"))
    {
      if (c->v < ARG_MAX_VALUE)
        s.lo[s.n] = c->v + 1, s.hi[s.n++] = ARG_MAX_VALUE;
    }
  else if (op_is (c, "SCMP_CMP_GE"))
    s.lo[s.n] = c->v, s.hi[s.n++] = ARG_MAX_VALUE;
  return s;
}

/* Whether some x in [LO, HI] has (x & MASK) == BITS: the least x >= LO
   that does keeps LO's bits above some bit I where LO has 0 and x has 1,
   and the pattern's least below; the lowest such I gives the least x.  */
static bool
pattern_meets_range (uint64_t mask, uint64_t bits, uint64_t lo, uint64_t hi)
{
  int i;

  if ((bits & ~mask) != 0)
    return false;
  if ((lo & mask) == bits)
    return true;
  for (i = 0; i < 64; i++)
    {
      uint64_t at = 1ULL << i, above = i == 63 ? 0 : ~((at << 1) - 1), x;
      if ((lo & at) || ((mask & at) && !(bits & at)) || ((lo ^ bits) & mask & above))
        continue;
      x = (lo & above) | at | (bits & (at - 1));
      return x <= hi;
    }
  return false;
}

static bool
values_meet (const struct values *a, const struct values *b)
{
  size_t i, j;

  if (a->pattern && b->pattern)
    return (a->bits & ~a->mask) == 0 && (b->bits & ~b->mask) == 0
           && ((a->bits ^ b->bits) & a->mask & b->mask) == 0;
  if (b->pattern)
    return values_meet (b, a);
  for (j = 0; j < b->n; j++)
    if (a->pattern ? pattern_meets_range (a->mask, a->bits, b->lo[j], b->hi[j]) : false)
      return true;
  if (a->pattern)
    return false;
  for (i = 0; i < a->n; i++)
    for (j = 0; j < b->n; j++)
      if (a->lo[i] <= b->hi[j] && b->lo[j] <= a->hi[i])
        return true;
  return false;
}

/* Whether some call meets both rules A and B, which runc hands libseccomp
   whole (capguard's composed rules are never split).  */
static bool
rules_meet (const json_t *a, const json_t *b)
{
  struct values any = { .pattern = true };
  json_t *arg;
  size_t i;
  int index;

  for (index = 0; index < 6; index++)
    {
      struct values x = any, y = any;
      json_array_foreach (json_object_get (a, "args"), i, arg)
        if (json_integer_value (json_object_get (arg, "index")) == index)
          {
            struct cond c = cond_of (arg);
            x = values_of (&c);
          }
      json_array_foreach (json_object_get (b, "args"), i, arg)
        if (json_integer_value (json_object_get (arg, "index")) == index)
          {
            struct cond c = cond_of (arg);
            y = values_of (&c);
          }
      if (!values_meet (&x, &y))
        return false;
    }
  return true;
}

/* The action libseccomp gets for RULE, as one string.  */
static void
action_key (const json_t *rule, char *buf, size_t len)
{
  const char *action = json_string_value (json_object_get (rule, "action"));
  json_t *ret = json_object_get (rule, "errnoRet");

  if (strcmp (action, "SCMP_ACT_KILL") == 0)
    action = "SCMP_ACT_KILL_THREAD";
  if (strcmp (action, "SCMP_ACT_ERRNO") == 0 || strcmp (action, "SCMP_ACT_TRACE") == 0)
    snprintf (buf, len, "%s(%lld)", action, ret ? (long long)json_integer_value (ret) : 1LL);
  else
    snprintf (buf, len, "%s", action);
}

/* Where two of the profile's rules for CALL in KEPT (the first N) meet
   with two actions, libseccomp's own order picks one; the composed rules
   could change that order, so capguard refuses.  */
static int
check_no_overlap (const json_t *profile, const json_t *kept, size_t n, const char *call,
                  struct error **err)
{
  size_t i, j;

  for (i = 0; i < n; i++)
    {
      const json_t *a = json_array_get (kept, i);
      char ka[64], kb[64];
      if (!counts_for (a, profile, call) || json_array_size (json_object_get (a, "names")) != 1)
        continue;
      action_key (a, ka, sizeof ka);
      for (j = i + 1; j < n; j++)
        {
          const json_t *b = json_array_get (kept, j);
          if (!counts_for (b, profile, call) || json_array_size (json_object_get (b, "names")) != 1)
            continue;
          action_key (b, kb, sizeof kb);
          if (strcmp (ka, kb) != 0 && rules_meet (a, b))
            return make_error (err, 0,
                               "linux.seccomp: two rules for `%s` (%s and %s) both hold for some "
                               "call without CLONE_NEWUSER: libseccomp's own order picks one, and "
                               "the condition capguard adds to each could change that order: "
                               "refused (give such calls one action)",
                               call, ka, kb);
        }
    }
  return 0;
}

static json_t *
denial (const char *call, int errno_ret, bool on_flags)
{
  json_t *rule = json_pack ("{s:[s], s:s, s:i}", "names", call, "action", "SCMP_ACT_ERRNO",
                            "errnoRet", errno_ret);
  if (on_flags)
    {
      struct cond set = newuser_clear (flags_index (call));
      set.two = CLONE_NEWUSER_FLAG;
      json_object_set_new (rule, "args", json_pack ("[o]", cond_json (&set)));
    }
  return rule;
}

int
seccomp_profile_deny_userns (json_t *profile, struct error **err)
{
  static const char *const calls[] = { "unshare", "clone" };
  struct jsontext_step path[SECCOMP_PATH_MAX];
  json_t *syscalls = json_object_get (profile, "syscalls"), *rule;
  const json_t *decides[2];
  bool at_key;
  json_auto_t *kept = json_array ();
  size_t i, depth, c;

  if (syscalls == NULL || json_is_null (syscalls))
    json_object_set_new (profile, "syscalls", syscalls = json_array ());
  if (!json_is_array (syscalls))
    return make_error (err, 0, "linux.seccomp.syscalls: expected an array");
  for (c = 0; c < 2; c++)
    decides[c] = deciding_rule (profile, calls[c]);
  /* Each rule as runc hands it over: its other names as they were,
     unshare's and clone's parts made to let CLONE_NEWUSER through
     nowhere, clone3's gone; then the three are denied.  */
  json_array_foreach (syscalls, i, rule)
    {
      json_auto_t *rest = json_array ();
      json_t *n;
      size_t k;

      if (same_as_default (rule, profile))
        {
          json_array_append (kept, rule);
          continue;
        }
      json_array_foreach (json_object_get (rule, "names"), k, n)
        {
          const char *name = json_string_value (n);
          if (name && strcmp (name, "clone3") == 0)
            continue;
          for (c = 0; c < 2 && !(name && strcmp (name, calls[c]) == 0); c++)
            ;
          if (c == 2)
            json_array_append (rest, n);
          else
            rewrite_call (rule, calls[c], decides[c], kept);
        }
      if (json_array_size (rest) > 0)
        {
          json_t *copy = json_copy (rule);
          json_object_set (copy, "names", rest);
          json_array_append_new (kept, copy);
        }
    }
  for (c = 0; c < 2; c++)
    if (check_no_overlap (profile, kept, json_array_size (kept), calls[c], err) < 0)
      return -1;
  for (c = 0; c < 2; c++)
    json_array_append_new (kept, denial (calls[c], 1, true));
  json_array_append_new (kept, denial ("clone3", 38, false));
  json_object_set (profile, "syscalls", kept);
  /* The result goes to the runtime as it is: libseccomp must know every
     name and value in it, and by capguard's own reading it must now be
     closed.  */
  if (seccomp_profile_check (profile, path, &depth, &at_key, err) < 0)
    return error_wrap (err, "linux.seccomp after denying user namespaces");
  if (seccomp_profile_opens_userns (profile, NULL))
    return make_error (err, 0,
                       "linux.seccomp: capguard could not close user namespaces in this "
                       "profile (%s): refused",
                       seccomp_profile_opens_userns (profile, NULL));
  return 0;
}
