/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "capset.h"
#include "jsontext.h"
#include "policy.h"
#include "policy_cache.h"
#include "seccomp_util.h"
#include "util.h"

static const char *const action_names[] = {
  [POLICY_REWRITE] = "rewrite",
  [POLICY_ENFORCE] = "enforce",
  [POLICY_AUDIT] = "audit",
};

static const char *const field_names[POLICY_FIELD_COUNT] = {
  [POLICY_FIELD_NAMESPACE] = "namespace", [POLICY_FIELD_POD] = "pod",
  [POLICY_FIELD_CONTAINER] = "container", [POLICY_FIELD_IMAGE] = "image",
  [POLICY_FIELD_COMMAND] = "command",
};

const char *
policy_action_name (enum policy_action action)
{
  return action_names[action];
}

const char *
policy_field_name (enum policy_field field)
{
  return field_names[field];
}

/* The parse context: the text, and the path of the value being checked, so
   that an error can be reported at its line and column.  */
#define MAX_DEPTH 8
struct ctx
{
  const char *text;
  size_t len;
  const char *source;
  int last_cap;
  struct jsontext_step path[MAX_DEPTH];
  size_t depth;
  bool defer_regex;      /* POLICY_HOT: compile a rule's regexes when first tried */
  struct policy *policy; /* owns the seccomp profiles loaded on the way */
};

static void
push_key (struct ctx *c, const char *key)
{
  c->path[c->depth].key = key;
  c->path[c->depth].index = 0;
  c->depth++;
}

static void
push_index (struct ctx *c, size_t index)
{
  c->path[c->depth].key = NULL;
  c->path[c->depth].index = index;
  c->depth++;
}

static void
pop (struct ctx *c)
{
  c->depth--;
}

/* Reports an error at the current path (at its key when AT_KEY).  */
static int __attribute__ ((format (printf, 4, 5)))
fail_at (struct ctx *c, bool at_key, struct error **err, const char *fmt, ...)
{
  cleanup_free char *msg = NULL;
  va_list ap;
  long off;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  off = jsontext_locate (c->text, c->len, c->path, c->depth, at_key);
  if (off >= 0)
    {
      int line, col;
      jsontext_line_col (c->text, off, &line, &col);
      return make_error (err, 0, "%s:%d:%d: %s", c->source, line, col, msg);
    }
  return make_error (err, 0, "%s: %s", c->source, msg);
}

/* Owned by root or by us, and not writable by group or others: anyone who
   can write the policy or replace it in its directory decides what every
   container may hold (the rule sudo applies to sudoers).  */
static int
check_owner (const struct stat *st, const char *what, const char *path, struct error **err)
{
  if (st->st_uid != 0 && st->st_uid != geteuid ())
    return make_error (err, 0, "%s `%s` is owned by uid %u, not by root: refusing it", what, path,
                       (unsigned)st->st_uid);
  if (st->st_mode & (S_IWGRP | S_IWOTH))
    return make_error (err, 0, "%s `%s` is writable by group or others (mode %04o): refusing it",
                       what, path, (unsigned)(st->st_mode & 07777));
  return 0;
}

/* Reads PATH (symlinks resolved) with the ownership rules of check_owner
   for the file and its directory.  WHAT names it in errors ("policy").  */
static int
read_owned_file (const char *path, const char *what, size_t max, char **text, size_t *len,
                 struct error **err)
{
  cleanup_free char *real = NULL, *dir_copy = NULL, *dir_what = NULL;
  cleanup_close int fd = -1, dirfd = -1;
  struct stat st;

  real = realpath (path, NULL);
  if (real == NULL)
    return make_error (err, errno, "%s `%s`", what, path);
  if (strcmp (real, "/") == 0)
    return make_error (err, 0, "%s `/` is not a regular file", what);
  dir_copy = xstrdup (real);
  dirfd = open (dirname (dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return make_error (err, errno, "%s directory of `%s`", what, real);
  if (fstat (dirfd, &st) < 0)
    return make_error (err, errno, "stat `%s`", dir_copy);
  xasprintf (&dir_what, "%s directory", what);
  if (check_owner (&st, dir_what, dir_copy, err) < 0)
    return -1;
  fd = openat (dirfd, strrchr (real, '/') + 1, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return make_error (err, errno, "%s `%s`", what, real);
  if (fstat (fd, &st) < 0)
    return make_error (err, errno, "stat `%s`", real);
  if (!S_ISREG (st.st_mode))
    return make_error (err, 0, "%s `%s` is not a regular file", what, real);
  if (check_owner (&st, what, real, err) < 0)
    return -1;
  if (util_read_fd (fd, max, what, text, len, err) < 0)
    return error_wrap (err, "%s", path);
  return 0;
}

/* Every key of OBJ must be in ALLOWED: an unknown key is most often a typo
   that would silently weaken the policy.  */
static int
check_keys (struct ctx *c, json_t *obj, const char *const *allowed, const char *where,
            struct error **err)
{
  const char *key;
  json_t *v;

  json_object_foreach (obj, key, v)
    {
      size_t i;
      bool ok = false;
      for (i = 0; allowed[i] && !ok; i++)
        ok = strcmp (key, allowed[i]) == 0;
      if (!ok)
        {
          int r;
          push_key (c, key);
          r = fail_at (c, true, err, "unknown key `%s` in %s", key, where);
          pop (c);
          return r;
        }
    }
  return 0;
}

static int
parse_cap_list (struct ctx *c, json_t *arr, const char *what, uint64_t *out, struct error **err)
{
  json_t *v;
  size_t i;

  *out = 0;
  if (!json_is_array (arr))
    return fail_at (c, false, err, "`%s` must be an array of capability names", what);
  json_array_foreach (arr, i, v)
    {
      cleanup_error struct error *cerr = NULL;
      const char *name = json_string_value (v);
      int cap, r = 0;

      push_index (c, i);
      if (!json_is_string (v))
        r = fail_at (c, false, err, "`%s` must hold capability names (strings)", what);
      else if (strcasecmp (name, "ALL") == 0)
        *out |= capset_all (c->last_cap);
      else if (capset_parse_policy_name (name, c->last_cap, &cap, &cerr) < 0)
        r = fail_at (c, false, err, "in `%s`: %s", what, cerr->msg);
      else
        *out |= capset_bit (cap);
      pop (c);
      if (r < 0)
        return r;
    }
  return 0;
}

/* capabilities.KEY of CAPS, when present, replaces *SET (or extends it when
   EXTEND).  */
static int
parse_cap_key (struct ctx *c, json_t *caps, const char *key, bool extend, uint64_t *set,
               struct error **err)
{
  cleanup_free char *what = NULL;
  json_t *v = json_is_object (caps) ? json_object_get (caps, key) : NULL;
  uint64_t parsed;
  int r;

  if (v == NULL)
    return 0;
  xasprintf (&what, "capabilities.%s", key);
  push_key (c, key);
  r = parse_cap_list (c, v, what, &parsed, err);
  pop (c);
  if (r == 0)
    *set = extend ? (*set | parsed) : parsed;
  return r;
}

/* A regex once compiled: allocated then, so that a rule never tried costs
   no more than its pattern (a 1 000-rule policy's rules would otherwise
   hold 10 000 regex_t).  */
struct policy_regex_state
{
  int compiled; /* 1, or -1 when the pattern does not compile */
  regex_t re;
  char *error; /* why it does not */
};

/* Compiles R once; returns 1, or -1 when it does not compile.  */
static int
compile_regex (struct policy_regex *r)
{
  char buf[256];
  int e;

  if (r->state)
    return r->state->compiled;
  r->state = xmalloc0 (sizeof *r->state);
  /* No REG_NOSUB: the match offsets tell whether the whole value matched.  */
  e = regcomp (&r->state->re, r->pattern, REG_EXTENDED);
  if (e == 0)
    return r->state->compiled = 1;
  regerror (e, &r->state->re, buf, sizeof buf);
  xasprintf (&r->state->error, "`%s`: invalid regex `%s`: %s", r->what, r->pattern, buf);
  return r->state->compiled = -1;
}

#define REGEX_MAX_LEN 1024
#define REGEX_MAX_BOUND 255

/* glibc's regcomp builds an automaton that can grow exponentially with
   stacked repetitions (`a++++`, `a{200}{200}`): found by the fuzzer, a
   short pattern took gigabytes.  POSIX leaves consecutive repetition
   operators undefined anyway, so they are refused, as are long patterns
   and large bounds.  Returns NULL or why not.  */
static const char *
regex_too_costly (const char *p)
{
  bool after_atom = false, after_repeat = false;
  unsigned long bounds = 0;
  size_t i;

  if (strlen (p) > REGEX_MAX_LEN)
    return "longer than 1024 characters";
  for (i = 0; p[i]; i++)
    {
      char ch = p[i];

      if (ch == '\\' && p[i + 1])
        {
          i++;
          after_atom = true, after_repeat = false;
        }
      else if (ch == '[')
        {
          /* A bracket expression: `]` first (after an optional `^`) is literal.  */
          i += p[i + 1] == '^' ? 2 : 1;
          if (p[i] == ']')
            i++;
          while (p[i] && p[i] != ']')
            i++;
          if (!p[i])
            return NULL; /* regcomp reports it */
          after_atom = true, after_repeat = false;
        }
      else if (ch == '*' || ch == '+' || ch == '?' || ch == '{')
        {
          if (after_repeat)
            return "two repetition operators in a row (undefined in POSIX regexes)";
          if (ch == '{')
            {
              char *end;
              unsigned long lo = strtoul (p + i + 1, &end, 10), hi = lo;
              if (*end == ',')
                hi = end[1] == '}' ? 0 : strtoul (end + 1, &end, 10);
              /* Nested bounds multiply the automaton: their sum is capped.  */
              bounds += lo > hi ? lo : hi;
              if (lo > REGEX_MAX_BOUND || hi > REGEX_MAX_BOUND || bounds > REGEX_MAX_BOUND)
                return "repetition bounds over 255 in all";
              while (p[i] && p[i] != '}')
                i++;
              if (!p[i])
                return NULL;
            }
          after_repeat = after_atom;
        }
      else
        after_atom = ch != '(' && ch != '|', after_repeat = false;
    }
  return NULL;
}

static int
parse_regex (struct ctx *c, json_t *v, const char *what, struct policy_regex *out,
             struct error **err)
{
  const char *costly;

  if (!json_is_string (v))
    return fail_at (c, false, err, "`%s` must be a string (a POSIX extended regex)", what);
  costly = regex_too_costly (json_string_value (v));
  if (costly)
    return fail_at (c, false, err, "`%s`: regex refused: %s", what, costly);
  out->pattern = xstrdup (json_string_value (v));
  out->what = what;
  if (!c->defer_regex && compile_regex (out) < 0)
    return fail_at (c, false, err, "%s", out->state->error);
  return 0;
}

static int
parse_enum (struct ctx *c, json_t *v, const char *what, const char *const *names, size_t n,
            int *out, struct error **err)
{
  size_t i;

  if (!json_is_string (v))
    return fail_at (c, false, err, "`%s` must be a string", what);
  for (i = 0; i < n; i++)
    if (names[i] && strcmp (json_string_value (v), names[i]) == 0)
      {
        *out = i;
        return 0;
      }
  return fail_at (c, false, err, "`%s`: unknown value `%s`", what, json_string_value (v));
}

/* Parses and checks a seccomp profile (TEXT from SOURCE) with libseccomp,
   keeps it in the policy and makes it S's profile.  Errors are located in
   the profile's own text.  */
static int
adopt_profile (struct ctx *c, const char *text, size_t len, const char *source,
               struct policy_settings *s, struct error **err)
{
  struct jsontext_step path[SECCOMP_PATH_MAX];
  cleanup_error struct error *perr = NULL;
  json_t *profile;
  size_t depth;
  bool at_key;

  profile = jsontext_load_object (text, len, source, err);
  if (profile == NULL)
    return -1;
  json_array_append_new (c->policy->profiles, profile);
  if (seccomp_profile_check (profile, path, &depth, &at_key, &perr) < 0)
    {
      long off = jsontext_locate (text, len, path, depth, at_key);
      int line = 1, col = 1;
      if (off >= 0)
        jsontext_line_col (text, off, &line, &col);
      return make_error (err, 0, "%s:%d:%d: %s", source, line, col, perr->msg);
    }
  s->seccomp_profile = profile;
  s->seccomp_profile_source = json_string_value (
      json_array_get (c->policy->profile_sources, json_array_size (c->policy->profiles) - 1));
  return 0;
}

static int
load_profile (struct ctx *c, const char *path, struct policy_settings *s, struct error **err)
{
  cleanup_free char *text = NULL;
  size_t len;

  if (read_owned_file (path, "seccomp profile", CAPGUARD_MAX_POLICY, &text, &len, err) < 0)
    {
      /* The same message, located at the key naming the file.  */
      cleanup_free char *msg = xstrdup ((*err)->msg);
      error_free (err);
      return fail_at (c, false, err, "%s", msg);
    }
  json_array_append_new (c->policy->profile_sources, json_string (path));
  return adopt_profile (c, text, len, path, s, err);
}

/* seccomp: baseline with no seccompProfile gets the built-in one, the text
   of policy/seccomp-baseline.json, parsed and checked once per policy.  */
static int
builtin_profile (struct ctx *c, struct policy_settings *s, struct error **err)
{
  if (c->policy->builtin_profile)
    {
      s->seccomp_profile = c->policy->builtin_profile;
      s->seccomp_profile_source = "<built-in baseline>";
      return 0;
    }
  json_array_append_new (c->policy->profile_sources, json_string ("<built-in baseline>"));
  if (adopt_profile (c, seccomp_baseline_text, seccomp_baseline_len, "<built-in baseline>", s, err)
      < 0)
    return -1;
  c->policy->builtin_profile = s->seccomp_profile;
  return 0;
}

/* The enum setting KEY of OBJ into *VAL, left as it is when KEY is absent.  */
static int
enum_setting (struct ctx *c, json_t *obj, const char *key, const char *const *names, size_t n,
              int *val, struct error **err)
{
  json_t *v = json_object_get (obj, key);
  int r;

  if (v == NULL)
    return 0;
  push_key (c, key);
  r = parse_enum (c, v, key, names, n, val, err);
  pop (c);
  return r;
}

/* Parses the settings keys of OBJ (the top level, or a rule) over BASE.  */
static int
parse_settings (struct ctx *c, json_t *obj, bool top, struct policy_settings *s, struct error **err)
{
  static const char *const top_cap_keys[] = { "allow", "deny", "inheritable", "ambient", NULL };
  static const char *const rule_cap_keys[]
      = { "allow", "add", "deny", "inheritable", "ambient", NULL };
  json_t *v;
  int r = 0;

  {
    int val = s->action;
    if ((r = enum_setting (c, obj, "action", action_names, 3, &val, err)) < 0)
      return r;
    s->action = val;
  }

  v = json_object_get (obj, "capabilities");
  if (v == NULL && top)
    return fail_at (c, false, err, "`capabilities.allow` is required at the top level");
  if (v)
    {
      json_t *allow, *add;

      push_key (c, "capabilities");
      if (!json_is_object (v))
        r = fail_at (c, false, err, "`capabilities` must be an object");
      else
        r = check_keys (c, v, top ? top_cap_keys : rule_cap_keys, "`capabilities`", err);
      allow = json_is_object (v) ? json_object_get (v, "allow") : NULL;
      add = json_is_object (v) ? json_object_get (v, "add") : NULL;
      if (r == 0 && top && allow == NULL)
        r = fail_at (c, false, err, "`capabilities.allow` is required at the top level");
      if (r == 0 && allow && add)
        {
          push_key (c, "add");
          r = fail_at (c, true, err,
                       "`capabilities.allow` replaces the ceiling and `add` extends it: give one");
          pop (c);
        }
      if (r == 0)
        r = parse_cap_key (c, v, "allow", false, &s->allow, err);
      if (r == 0)
        r = parse_cap_key (c, v, "add", true, &s->allow, err);
      if (r == 0)
        r = parse_cap_key (c, v, "deny", false, &s->deny, err);
      if (r == 0)
        r = parse_cap_key (c, v, "inheritable", false, &s->inheritable, err);
      if (r == 0)
        r = parse_cap_key (c, v, "ambient", false, &s->ambient, err);
      pop (c);
      if (r < 0)
        return r;
    }

  if ((v = json_object_get (obj, "noNewPrivileges")))
    {
      push_key (c, "noNewPrivileges");
      if (!json_is_boolean (v))
        r = fail_at (c, false, err, "`noNewPrivileges` must be true or false");
      s->no_new_privileges = json_is_true (v);
      pop (c);
      if (r < 0)
        return r;
    }

  {
    static const char *const known[] = { [POLICY_SECCOMP_KEEP] = "keep",
                                         [POLICY_SECCOMP_REQUIRE] = "require",
                                         [POLICY_SECCOMP_BASELINE] = "baseline" };
    int val = s->seccomp;
    if ((r = enum_setting (c, obj, "seccomp", known, 3, &val, err)) < 0)
      return r;
    s->seccomp = val;
  }
  if ((v = json_object_get (obj, "seccompProfile")))
    {
      push_key (c, "seccompProfile");
      if (!json_is_string (v) || json_string_value (v)[0] != '/')
        r = fail_at (c, false, err, "`seccompProfile` must be an absolute path");
      else
        r = load_profile (c, json_string_value (v), s, err);
      pop (c);
      if (r < 0)
        return r;
    }
  {
    static const char *const known[] = { [POLICY_PING_KEEP] = "keep", [POLICY_PING_AUTO] = "auto" };
    int val = s->ping_group_range;
    if ((r = enum_setting (c, obj, "pingGroupRange", known, 2, &val, err)) < 0)
      return r;
    s->ping_group_range = val;
  }
  {
    static const char *const known[]
        = { [POLICY_PRIVILEGED_KEEP] = "keep", [POLICY_PRIVILEGED_REFUSE] = "refuse" };
    int val = s->privileged;
    if ((r = enum_setting (c, obj, "privileged", known, 2, &val, err)) < 0)
      return r;
    s->privileged = val;
  }
  {
    static const char *const known[]
        = { [POLICY_USERNS_KEEP] = "keep", [POLICY_USERNS_DENY] = "deny" };
    int val = s->user_namespaces;
    if ((r = enum_setting (c, obj, "userNamespaces", known, 2, &val, err)) < 0)
      return r;
    s->user_namespaces = val;
  }
  return 0;
}

static int
parse_match (struct ctx *c, json_t *m, struct policy_rule *rule, struct error **err)
{
  static const char *const keys[]
      = { "namespace", "pod", "container", "image", "command", "annotations", "uid", NULL };
  json_t *v;
  int f, r;

  if (!json_is_object (m))
    return fail_at (c, false, err, "`match` must be an object");
  if ((r = check_keys (c, m, keys, "`match`", err)) < 0)
    return r;
  for (f = 0; f < POLICY_FIELD_COUNT; f++)
    if ((v = json_object_get (m, field_names[f])))
      {
        push_key (c, field_names[f]);
        r = parse_regex (c, v, field_names[f], &rule->field[f], err);
        pop (c);
        if (r < 0)
          return r;
        rule->has_field[f] = true;
      }
  if ((v = json_object_get (m, "uid")))
    {
      push_key (c, "uid");
      if (!json_is_integer (v) || json_integer_value (v) < 0 || json_integer_value (v) > UINT32_MAX)
        r = fail_at (c, false, err, "`uid` must be an integer from 0 to 4294967295");
      pop (c);
      if (r < 0)
        return r;
      rule->has_uid = true;
      rule->uid = json_integer_value (v);
    }
  if ((v = json_object_get (m, "annotations")))
    {
      const char *key;
      json_t *pat;

      push_key (c, "annotations");
      if (!json_is_object (v))
        r = fail_at (c, false, err, "`annotations` must be an object of `key: regex`");
      else
        rule->annotations = xmalloc0 (sizeof *rule->annotations * (json_object_size (v) + 1));
      json_object_foreach (v, key, pat)
        {
          struct policy_annotation_match *am;
          if (r < 0)
            break;
          am = &rule->annotations[rule->n_annotations];
          push_key (c, key);
          /* Counted before parsing, so policy_free releases it even when
             parsing fails half way.  */
          am->key = xstrdup (key);
          rule->n_annotations++;
          /* Named by its own copy of the key: the document's is freed
             before a deferred regex is compiled.  */
          r = parse_regex (c, pat, am->key, &am->value, err);
          pop (c);
        }
      pop (c);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
parse_rule (struct ctx *c, json_t *obj, const struct policy_settings *base,
            struct policy_rule *rule, struct error **err)
{
  static const char *const keys[]
      = { "name",    "match",          "action",         "capabilities", "noNewPrivileges",
          "seccomp", "seccompProfile", "pingGroupRange", "privileged",   "userNamespaces",
          NULL };
  json_t *v;
  int r;

  rule->settings = *base;
  if (!json_is_object (obj))
    return fail_at (c, false, err, "each rule must be an object");
  if ((r = check_keys (c, obj, keys, "a rule", err)) < 0)
    return r;
  v = json_object_get (obj, "name");
  if (!json_is_string (v) || json_string_length (v) == 0)
    {
      if (v)
        push_key (c, "name");
      r = fail_at (c, false, err, "each rule needs a `name` (a non-empty string)");
      if (v)
        pop (c);
      return r;
    }
  rule->name = xstrdup (json_string_value (v));
  v = json_object_get (obj, "match");
  if (v == NULL)
    return fail_at (c, false, err, "rule `%s` has no `match` (use {} to match everything)",
                    rule->name);
  push_key (c, "match");
  r = parse_match (c, v, rule, err);
  pop (c);
  if (r < 0)
    return r;
  return parse_settings (c, obj, false, &rule->settings, err);
}

struct policy *
policy_new (char *text, size_t len, const char *source, int last_cap)
{
  struct policy *policy = xmalloc0 (sizeof *policy);

  policy->source = xstrdup (source);
  policy->text = text;
  policy->text_len = len;
  policy->profiles = json_array ();
  policy->profile_sources = json_array ();
  policy->last_cap = last_cap;
  policy->log_syslog = true;
  policy->defaults.action = POLICY_REWRITE;
  return policy;
}

int
policy_attach_profile (struct policy *policy, const char *source, struct policy_settings *s,
                       struct error **err)
{
  struct ctx c = { .text = policy->text,
                   .len = policy->text_len,
                   .source = policy->source,
                   .last_cap = policy->last_cap,
                   .policy = policy };

  if (strcmp (source, "<built-in baseline>") == 0)
    return builtin_profile (&c, s, err);
  if (source[0] != '/')
    return make_error (err, 0, "seccomp profile `%s` is not an absolute path", source);
  return load_profile (&c, source, s, err);
}

/* Whether R compiles, without keeping it compiled.  */
static bool
regex_compiles (const struct policy_regex *r)
{
  regex_t re;

  if (r->state)
    return r->state->compiled == 1;
  if (regcomp (&re, r->pattern, REG_EXTENDED) != 0)
    return false;
  regfree (&re);
  return true;
}

bool
policy_regexes_compile (const struct policy *policy)
{
  size_t i, j;

  for (i = 0; i < policy->n_rules; i++)
    {
      const struct policy_rule *rule = &policy->rules[i];
      for (j = 0; j < POLICY_FIELD_COUNT; j++)
        if (rule->has_field[j] && !regex_compiles (&rule->field[j]))
          return false;
      for (j = 0; j < rule->n_annotations; j++)
        if (!regex_compiles (&rule->annotations[j].value))
          return false;
    }
  return true;
}

struct policy *
policy_parse (const char *text, size_t len, const char *source, int last_cap, unsigned flags,
              struct error **err)
{
  static const char *const keys[] = { "version",
                                      "action",
                                      "capabilities",
                                      "noNewPrivileges",
                                      "seccomp",
                                      "seccompProfile",
                                      "pingGroupRange",
                                      "privileged",
                                      "userNamespaces",
                                      "log",
                                      "runtime",
                                      "rules",
                                      NULL };
  struct ctx c = { .text = text,
                   .len = len,
                   .source = source,
                   .last_cap = last_cap,
                   .defer_regex = flags & POLICY_HOT };
  struct policy *policy = NULL;
  json_auto_t *doc = NULL;
  json_t *v;
  size_t i;
  int r = 0;

  doc = jsontext_load_object (text, len, source, err);
  if (doc == NULL)
    return NULL;

  policy = policy_new (xstrndup (text, len), len, source, last_cap);
  c.policy = policy;

  /* The version first: a newer policy's unknown keys are explained by it.  */
  v = json_object_get (doc, "version");
  if (v == NULL)
    r = fail_at (&c, false, err, "`version` is required (this capguard reads version 1)");
  else if (!json_is_integer (v) || json_integer_value (v) != 1)
    {
      push_key (&c, "version");
      r = fail_at (&c, false, err, "unsupported `version` (this capguard reads version 1)");
      pop (&c);
    }
  if (r == 0)
    r = check_keys (&c, doc, keys, "the policy", err);
  if (r == 0)
    r = parse_settings (&c, doc, true, &policy->defaults, err);

  if (r == 0 && (v = json_object_get (doc, "log")))
    {
      static const char *const log_keys[] = { "syslog", "file", NULL };
      json_t *x;

      push_key (&c, "log");
      if (!json_is_object (v))
        r = fail_at (&c, false, err, "`log` must be an object");
      else
        r = check_keys (&c, v, log_keys, "`log`", err);
      if (r == 0 && (x = json_object_get (v, "syslog")))
        {
          push_key (&c, "syslog");
          if (!json_is_boolean (x))
            r = fail_at (&c, false, err, "`log.syslog` must be true or false");
          policy->log_syslog = json_is_true (x);
          pop (&c);
        }
      if (r == 0 && (x = json_object_get (v, "file")))
        {
          push_key (&c, "file");
          if (!json_is_string (x) || json_string_value (x)[0] != '/')
            r = fail_at (&c, false, err, "`log.file` must be an absolute path");
          else
            policy->log_file = xstrdup (json_string_value (x));
          pop (&c);
        }
      pop (&c);
    }

  if (r == 0 && (v = json_object_get (doc, "runtime")))
    {
      push_key (&c, "runtime");
      if (!json_is_string (v) || json_string_value (v)[0] != '/')
        r = fail_at (&c, false, err, "`runtime` must be an absolute path");
      else
        policy->runtime = xstrdup (json_string_value (v));
      pop (&c);
    }

  if (r == 0 && (v = json_object_get (doc, "rules")))
    {
      json_t *rule;

      push_key (&c, "rules");
      if (!json_is_array (v))
        r = fail_at (&c, false, err, "`rules` must be an array");
      else if (json_array_size (v) > POLICY_MAX_RULES)
        r = fail_at (&c, false, err, "more than %d rules", POLICY_MAX_RULES);
      else
        policy->rules = xmalloc0 (sizeof *policy->rules * (json_array_size (v) + 1));
      json_array_foreach (v, i, rule)
        {
          if (r < 0)
            break;
          push_index (&c, i);
          /* Count the rule before parsing it so policy_free sees what it
             allocated even when it fails half way.  */
          policy->n_rules++;
          r = parse_rule (&c, rule, &policy->defaults, &policy->rules[i], err);
          pop (&c);
        }
      pop (&c);
    }

  /* Every `seccomp: baseline` without a profile of its own gets the node's
     built-in baseline.  */
  /* userNamespaces: deny gives a container with no profile the baseline
     too.  */
  if (r == 0
      && (policy->defaults.seccomp == POLICY_SECCOMP_BASELINE
          || policy->defaults.user_namespaces == POLICY_USERNS_DENY)
      && policy->defaults.seccomp_profile == NULL)
    r = builtin_profile (&c, &policy->defaults, err);
  for (i = 0; r == 0 && i < policy->n_rules; i++)
    if ((policy->rules[i].settings.seccomp == POLICY_SECCOMP_BASELINE
         || policy->rules[i].settings.user_namespaces == POLICY_USERNS_DENY)
        && policy->rules[i].settings.seccomp_profile == NULL)
      r = builtin_profile (&c, &policy->rules[i].settings, err);

  if (r < 0)
    {
      policy_free (policy);
      return NULL;
    }
  return policy;
}

/* Frees a string of POLICY's rules or settings, unless it is in the
   cache entry it was read from.  */
static void
free_string (const struct policy *policy, char *s)
{
  if (!policy->cached)
    free (s);
}

static void
regex_release (const struct policy *policy, struct policy_regex *r)
{
  if (r->state)
    {
      if (r->state->compiled == 1)
        regfree (&r->state->re);
      free (r->state->error);
      free (r->state);
    }
  free_string (policy, r->pattern);
}

void
policy_free (struct policy *policy)
{
  size_t i, j;

  if (policy == NULL)
    return;
  for (i = 0; i < policy->n_rules; i++)
    {
      struct policy_rule *rule = &policy->rules[i];
      for (j = 0; j < POLICY_FIELD_COUNT; j++)
        regex_release (policy, &rule->field[j]);
      for (j = 0; j < rule->n_annotations; j++)
        {
          free_string (policy, rule->annotations[j].key);
          regex_release (policy, &rule->annotations[j].value);
        }
      free (rule->annotations);
      free_string (policy, rule->name);
    }
  free (policy->rules);
  free (policy->source);
  free (policy->text);
  json_decref (policy->profiles);
  json_decref (policy->profile_sources);
  free_string (policy, policy->log_file);
  free_string (policy, policy->runtime);
  free (policy->arena);
  free (policy);
}

struct policy *
policy_load_default (const char *path, int last_cap, unsigned flags, struct error **err)
{
  struct stat st;

  /* Only a path with nothing at all there selects the built-in policy: a
     dangling symlink or an unreadable directory is an error, never a
     silent fallback to another policy.  */
  if (lstat (path, &st) < 0 && errno == ENOENT)
    return policy_parse (policy_builtin_text, policy_builtin_len, "<built-in>", last_cap, flags,
                         err);
  return policy_load (path, last_cap, flags, err);
}

struct policy *
policy_load (const char *path, int last_cap, unsigned flags, struct error **err)
{
  cleanup_free char *text = NULL;
  const char *cache_dir;
  struct policy *policy;
  size_t len;

  if (path == NULL)
    return policy_load_default (POLICY_DEFAULT_PATH, last_cap, flags, err);
  if (read_owned_file (path, "policy", CAPGUARD_MAX_POLICY, &text, &len, err) < 0)
    return NULL;
  /* The cache only where parsing costs more than reading it: a typical
     policy is parsed in less time than the cache takes to check.  */
  cache_dir = (flags & POLICY_HOT) && len >= POLICY_CACHE_MIN ? policy_cache_dir () : NULL;
  if (cache_dir && (policy = policy_cache_read (cache_dir, path, &text, len, last_cap)))
    return policy;
  policy = policy_parse (text, len, path, last_cap, flags, err);
  if (policy && cache_dir)
    policy_cache_write (cache_dir, policy);
  return policy;
}

char *
policy_locate_setting (const struct policy *policy, const struct policy_rule *rule, const char *key)
{
  cleanup_free char *copy = xstrdup (key);
  struct jsontext_step path[6];
  char *dot = strchr (copy, '.'), *out = NULL;
  size_t depth = 0, base = 0;
  long off = -1;
  int line, col;

  if (rule)
    {
      path[depth++] = (struct jsontext_step){ .key = "rules" };
      path[depth++] = (struct jsontext_step){ .index = (size_t)(rule - policy->rules) };
      base = depth;
    }
  if (dot)
    *dot = '\0';
  path[depth++] = (struct jsontext_step){ .key = copy };
  if (dot)
    path[depth++] = (struct jsontext_step){ .key = dot + 1 };
  off = jsontext_locate (policy->text, policy->text_len, path, depth, true);
  /* `capabilities.add` extends the inherited allow: it is where a rule's
     ceiling is set too.  */
  if (off < 0 && rule && dot && strcmp (dot + 1, "allow") == 0)
    {
      path[depth - 1].key = "add";
      off = jsontext_locate (policy->text, policy->text_len, path, depth, true);
    }
  if (off < 0 && rule)
    {
      /* Inherited from the top level.  */
      memmove (path, path + base, sizeof path[0] * (depth - base));
      path[depth - base - 1].key = dot ? dot + 1 : copy;
      off = jsontext_locate (policy->text, policy->text_len, path, depth - base, true);
    }
  if (off < 0)
    return NULL;
  jsontext_line_col (policy->text, off, &line, &col);
  xasprintf (&out, "%s:%d:%d", policy->source, line, col);
  return out;
}

bool
policy_regex_whole (const struct policy_regex *regex, const char *value)
{
  struct policy_regex *r = (struct policy_regex *)regex; /* compiled on first use */
  regmatch_t m;

  if (value == NULL || compile_regex (r) < 0)
    return false;
  /* POSIX picks the leftmost, then longest, match: if any match spans the
     whole value, that is the one reported.  Checking the span rather than
     wrapping the pattern in ^(...)$ keeps a pattern like `a)|(b` from
     escaping the anchors.  */
  if (regexec (&r->state->re, value, 1, &m, 0) != 0)
    return false;
  return m.rm_so == 0 && (size_t)m.rm_eo == strlen (value);
}

/* Whether REGEX matches the whole of VALUE: 1, 0, or -1 when it does not
   compile (*BROKEN says why).  A missing value never matches, and needs no
   regex.  */
static int
whole_match (const struct policy_regex *regex, const char *value, const char **broken)
{
  if (value == NULL)
    return 0;
  if (compile_regex ((struct policy_regex *)regex) < 0)
    {
      *broken = regex->state->error;
      return -1;
    }
  return policy_regex_whole (regex, value);
}

static int
rule_matches (const struct policy_rule *rule, const struct policy_subject *s, const char **broken)
{
  size_t i;
  int f, m;

  for (f = 0; f < POLICY_FIELD_COUNT; f++)
    if (rule->has_field[f] && (m = whole_match (&rule->field[f], s->fields[f], broken)) != 1)
      return m;
  if (rule->has_uid && (!s->has_uid || s->uid != rule->uid))
    return 0;
  for (i = 0; i < rule->n_annotations; i++)
    {
      json_t *v
          = s->annotations ? json_object_get (s->annotations, rule->annotations[i].key) : NULL;
      if ((m = whole_match (&rule->annotations[i].value, json_string_value (v), broken)) != 1)
        return m;
    }
  return 1;
}

const struct policy_rule *
policy_select (const struct policy *policy, const struct policy_subject *subject,
               const char **broken)
{
  size_t i;

  *broken = NULL;
  for (i = 0; i < policy->n_rules; i++)
    switch (rule_matches (&policy->rules[i], subject, broken))
      {
      case 1:
        return &policy->rules[i];
      case -1:
        /* A regex the decision needs does not compile: the policy is
           invalid, and nothing is decided by it.  */
        return NULL;
      default:
        break;
      }
  return NULL;
}
