/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "capset.h"
#include "jsontext.h"
#include "policy_internal.h"
#include "policy_settings.h"
#include "seccomp_util.h"
#include "util.h"

const char *
policy_action_name (enum policy_action action)
{
  return policy_settings_table[0].names[action];
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

/* Where a key may stand, in the key tables below.  */
enum
{
  IN_TOP = 1 << 0,  /* the policy's top level (or the top level's `capabilities`) */
  IN_RULE = 1 << 1, /* a rule (or a rule's `capabilities`) */
  IN_BOTH = IN_TOP | IN_RULE,
};

struct key
{
  const char *name;
  unsigned where;
};

/* Every key of OBJ must be one of KEYS allowed WHERE: an unknown key is
   most often a typo that would silently weaken the policy.  WHAT names OBJ
   in the error.  */
static int
check_keys (struct ctx *c, json_t *obj, const struct key *keys, size_t n, unsigned where,
            const char *what, struct error **err)
{
  const char *name;
  json_t *v;

  json_object_foreach (obj, name, v)
    {
      size_t i;
      int r;

      for (i = 0; i < n; i++)
        if ((keys[i].where & where) && strcmp (name, keys[i].name) == 0)
          break;
      if (i < n)
        continue;
      push_key (c, name);
      r = fail_at (c, true, err, "unknown key `%s` in %s", name, what);
      pop (c);
      return r;
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

static int
parse_regex (struct ctx *c, json_t *v, const char *what, struct policy_regex *out,
             struct error **err)
{
  const char *costly;

  if (!json_is_string (v))
    return fail_at (c, false, err, "`%s` must be a string (a POSIX extended regex)", what);
  costly = policy_regex_too_costly (json_string_value (v));
  if (costly)
    return fail_at (c, false, err, "`%s`: regex refused: %s", what, costly);
  out->pattern = xstrdup (json_string_value (v));
  out->what = what;
  policy_regex_add (c->policy, out);
  if (!c->defer_regex && policy_regex_compile (c->policy, out) < 0)
    return fail_at (c, false, err, "%s", policy_regex_error (c->policy, out));
  return 0;
}

#define MAX_CAP_KEYS 16

/* A SET row's key inside `capabilities`.  */
static const char *
set_key (const struct policy_setting *row)
{
  return strchr (row->key, '.') + 1;
}

/* A WORD or FLAG setting's value V (its key pushed on C's path) into S.  */
static int
parse_word (struct ctx *c, const struct policy_setting *row, json_t *v, struct policy_settings *s,
            struct error **err)
{
  size_t i;

  if (row->kind == SETTING_FLAG)
    {
      if (!json_is_boolean (v))
        return fail_at (c, false, err, "`%s` must be true or false", row->key);
      policy_setting_store (row, s, json_is_true (v));
      return 0;
    }
  if (!json_is_string (v))
    return fail_at (c, false, err, "`%s` must be a string", row->key);
  for (i = 0; i < row->n_names; i++)
    if (strcmp (json_string_value (v), row->names[i]) == 0)
      {
        policy_setting_store (row, s, i);
        return 0;
      }
  return fail_at (c, false, err, "`%s`: unknown value `%s`", row->key, json_string_value (v));
}

/* The settings, each parsed from its value V (its key pushed on C's path)
   into S.  TOP: at the policy's top level, else in a rule.  */
typedef int (*setting_parser) (struct ctx *c, json_t *v, bool top, struct policy_settings *s,
                               struct error **err);

static int
parse_capabilities (struct ctx *c, json_t *v, bool top, struct policy_settings *s,
                    struct error **err)
{
  struct key keys[MAX_CAP_KEYS] = { { "add", IN_RULE } };
  json_t *allow, *add;
  size_t i, n = 1;
  int r;

  if (!json_is_object (v))
    return fail_at (c, false, err, "`capabilities` must be an object");
  for (i = 0; i < policy_settings_count && n < MAX_CAP_KEYS; i++)
    if (policy_settings_table[i].kind == SETTING_SET)
      keys[n++] = (struct key){ set_key (&policy_settings_table[i]), IN_BOTH };
  if ((r = check_keys (c, v, keys, n, top ? IN_TOP : IN_RULE, "`capabilities`", err)) < 0)
    return r;
  allow = json_object_get (v, "allow");
  add = json_object_get (v, "add");
  if (top && allow == NULL)
    return fail_at (c, false, err, "`capabilities.allow` is required at the top level");
  if (allow && add)
    {
      push_key (c, "add");
      r = fail_at (c, true, err,
                   "`capabilities.allow` replaces the ceiling and `add` extends it: give one");
      pop (c);
      return r;
    }
  for (i = 0; i < policy_settings_count; i++)
    {
      const struct policy_setting *row = &policy_settings_table[i];

      if (row->kind == SETTING_SET
          && (r = parse_cap_key (c, v, set_key (row), false, policy_setting_set (row, s), err)) < 0)
        return r;
    }
  /* `add` extends the ceiling the rule inherits.  */
  return parse_cap_key (c, v, "add", true, &s->allow, err);
}

static int
parse_seccomp_profile (struct ctx *c, json_t *v, bool top, struct policy_settings *s,
                       struct error **err)
{
  int r;

  (void)top;
  if (!json_is_string (v) || json_string_value (v)[0] != '/')
    return fail_at (c, false, err, "`seccompProfile` must be an absolute path");
  if ((r = policy_profile_file (c->policy, json_string_value (v), s, err)) == -2)
    {
      /* Not read: the same message, located at the key naming the file.  */
      cleanup_free char *msg = xstrdup ((*err)->msg);
      error_free (err);
      return fail_at (c, false, err, "%s", msg);
    }
  return r;
}

/* The keys of the policy and of a rule besides the one-word settings of
   policy_settings_table: the capability sets (its SET rows) are parsed
   from the `capabilities` object here.  */
static const struct policy_key
{
  struct key key;
  setting_parser parse; /* NULL: not a setting, parsed where it is used */
} other_keys[] = {
  { { "version", IN_TOP }, NULL },
  { { "name", IN_RULE }, NULL },
  { { "match", IN_RULE }, NULL },
  { { "capabilities", IN_BOTH }, parse_capabilities },
  { { "seccompProfile", IN_BOTH }, parse_seccomp_profile },
  { { "log", IN_TOP }, NULL },
  { { "runtime", IN_TOP }, NULL },
  { { "rules", IN_TOP }, NULL },
};
#define N_OTHER_KEYS (sizeof other_keys / sizeof other_keys[0])
#define MAX_POLICY_KEYS 64

/* OBJ's keys (the top level's, or a rule's) are all known where they stand.  */
static int
check_policy_keys (struct ctx *c, json_t *obj, bool top, struct error **err)
{
  struct key keys[MAX_POLICY_KEYS];
  size_t i, n = 0;

  for (i = 0; i < N_OTHER_KEYS; i++)
    keys[n++] = other_keys[i].key;
  for (i = 0; i < policy_settings_count && n < MAX_POLICY_KEYS; i++)
    if (policy_settings_table[i].kind != SETTING_SET)
      keys[n++] = (struct key){ policy_settings_table[i].key, IN_BOTH };
  return check_keys (c, obj, keys, n, top ? IN_TOP : IN_RULE, top ? "the policy" : "a rule", err);
}

/* Parses the settings keys of OBJ (the top level, or a rule) over S.  */
static int
parse_settings (struct ctx *c, json_t *obj, bool top, struct policy_settings *s, struct error **err)
{
  size_t i;
  json_t *v;
  int r;

  for (i = 0; i < policy_settings_count; i++)
    {
      const struct policy_setting *row = &policy_settings_table[i];

      if (row->kind == SETTING_SET || (v = json_object_get (obj, row->key)) == NULL)
        continue;
      push_key (c, row->key);
      r = parse_word (c, row, v, s, err);
      pop (c);
      if (r < 0)
        return r;
    }
  for (i = 0; i < N_OTHER_KEYS; i++)
    {
      const struct policy_key *k = &other_keys[i];

      if (k->parse == NULL)
        continue;
      v = json_object_get (obj, k->key.name);
      if (v == NULL && top && k->parse == parse_capabilities)
        return fail_at (c, false, err, "`capabilities.allow` is required at the top level");
      if (v == NULL)
        continue;
      push_key (c, k->key.name);
      r = k->parse (c, v, top, s, err);
      pop (c);
      if (r < 0)
        return r;
    }
  return 0;
}

static int
parse_match (struct ctx *c, json_t *m, struct policy_rule *rule, struct error **err)
{
  struct key keys[FIELD_COUNT + 2] = { { "annotations", IN_RULE }, { "uid", IN_RULE } };
  json_t *v;
  int f, r;

  if (!json_is_object (m))
    return fail_at (c, false, err, "`match` must be an object");
  for (f = 0; f < FIELD_COUNT; f++)
    keys[2 + f] = (struct key){ field_name (f), IN_RULE };
  if ((r = check_keys (c, m, keys, FIELD_COUNT + 2, IN_RULE, "`match`", err)) < 0)
    return r;
  for (f = 0; f < FIELD_COUNT; f++)
    if ((v = json_object_get (m, field_name (f))))
      {
        push_key (c, field_name (f));
        r = parse_regex (c, v, field_name (f), &rule->field[f], err);
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
  json_t *v;
  int r;

  rule->settings = *base;
  if (!json_is_object (obj))
    return fail_at (c, false, err, "each rule must be an object");
  if ((r = check_policy_keys (c, obj, false, err)) < 0)
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
  policy->regexes = policy_regexes_new ();
  policy->profiles = json_array ();
  policy->profile_sources = json_array ();
  policy->last_cap = last_cap;
  policy->log_syslog = true;
  policy->defaults.action = POLICY_REWRITE;
  return policy;
}

/* The version first: a newer policy's unknown keys are explained by it.  */
static int
parse_version (struct ctx *c, json_t *doc, struct error **err)
{
  json_t *v = json_object_get (doc, "version");
  int r;

  if (v == NULL)
    return fail_at (c, false, err, "`version` is required (this capguard reads version 1)");
  if (json_is_integer (v) && json_integer_value (v) == 1)
    return 0;
  push_key (c, "version");
  r = fail_at (c, false, err, "unsupported `version` (this capguard reads version 1)");
  pop (c);
  return r;
}

/* An absolute path, copied into *OUT.  */
static int
parse_path (struct ctx *c, json_t *v, const char *what, char **out, struct error **err)
{
  if (!json_is_string (v) || json_string_value (v)[0] != '/')
    return fail_at (c, false, err, "`%s` must be an absolute path", what);
  *out = xstrdup (json_string_value (v));
  return 0;
}

static int
parse_log (struct ctx *c, json_t *v, struct policy *policy, struct error **err)
{
  static const struct key keys[] = { { "syslog", IN_TOP }, { "file", IN_TOP } };
  json_t *x;
  int r;

  if (!json_is_object (v))
    return fail_at (c, false, err, "`log` must be an object");
  if ((r = check_keys (c, v, keys, 2, IN_TOP, "`log`", err)) < 0)
    return r;
  if ((x = json_object_get (v, "syslog")))
    {
      push_key (c, "syslog");
      if (!json_is_boolean (x))
        r = fail_at (c, false, err, "`log.syslog` must be true or false");
      policy->log_syslog = json_is_true (x);
      pop (c);
    }
  if (r == 0 && (x = json_object_get (v, "file")))
    {
      push_key (c, "file");
      r = parse_path (c, x, "log.file", &policy->log_file, err);
      pop (c);
    }
  return r;
}

static int
parse_rules (struct ctx *c, json_t *v, struct policy *policy, struct error **err)
{
  json_t *rule;
  size_t i;
  int r = 0;

  if (!json_is_array (v))
    return fail_at (c, false, err, "`rules` must be an array");
  if (json_array_size (v) > POLICY_MAX_RULES)
    return fail_at (c, false, err, "more than %d rules", POLICY_MAX_RULES);
  policy->rules = xmalloc0 (sizeof *policy->rules * (json_array_size (v) + 1));
  json_array_foreach (v, i, rule)
    {
      push_index (c, i);
      /* Count the rule before parsing it so policy_free sees what it
         allocated even when it fails half way.  */
      policy->n_rules++;
      r = parse_rule (c, rule, &policy->defaults, &policy->rules[i], err);
      pop (c);
      if (r < 0)
        return r;
    }
  return 0;
}

/* Every `seccomp: baseline`, and every `userNamespaces: deny`, without a
   profile of its own gets the node's built-in baseline.  */
static int
attach_baselines (struct policy *policy, struct error **err)
{
  size_t i;

  for (i = 0; i <= policy->n_rules; i++)
    {
      struct policy_settings *s = i == 0 ? &policy->defaults : &policy->rules[i - 1].settings;
      int r;

      if ((s->seccomp == POLICY_SECCOMP_BASELINE || s->user_namespaces == POLICY_USERNS_DENY)
          && s->seccomp_profile == NULL && (r = policy_profile_builtin (policy, s, err)) < 0)
        return r;
    }
  return 0;
}

/* KEY of DOC, when there, parsed by PARSE with its key on C's path.  */
static int
parse_member (struct ctx *c, json_t *doc, const char *key,
              int (*parse) (struct ctx *, json_t *, struct policy *, struct error **),
              struct error **err)
{
  json_t *v = json_object_get (doc, key);
  int r;

  if (v == NULL)
    return 0;
  push_key (c, key);
  r = parse (c, v, c->policy, err);
  pop (c);
  return r;
}

static int
parse_runtime (struct ctx *c, json_t *v, struct policy *policy, struct error **err)
{
  return parse_path (c, v, "runtime", &policy->runtime, err);
}

struct policy *
policy_parse (const char *text, size_t len, const char *source, int last_cap, unsigned flags,
              struct error **err)
{
  struct ctx c = { .text = text,
                   .len = len,
                   .source = source,
                   .last_cap = last_cap,
                   .defer_regex = flags & POLICY_HOT };
  json_auto_t *doc = NULL;
  int r;

  doc = jsontext_load_object (text, len, source, err);
  if (doc == NULL)
    return NULL;
  c.policy = policy_new (xstrndup (text, len), len, source, last_cap);
  if ((r = parse_version (&c, doc, err)) < 0 || (r = check_policy_keys (&c, doc, true, err)) < 0
      || (r = parse_settings (&c, doc, true, &c.policy->defaults, err)) < 0
      || (r = parse_member (&c, doc, "log", parse_log, err)) < 0
      || (r = parse_member (&c, doc, "runtime", parse_runtime, err)) < 0
      || (r = parse_member (&c, doc, "rules", parse_rules, err)) < 0
      || (r = attach_baselines (c.policy, err)) < 0)
    {
      policy_free (c.policy);
      return NULL;
    }
  return c.policy;
}

/* Frees a string of POLICY's rules or settings, unless it is in the
   cache entry it was read from.  */
static void
free_string (const struct policy *policy, char *s)
{
  if (!policy->cached)
    free (s);
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
      for (j = 0; j < FIELD_COUNT; j++)
        free_string (policy, rule->field[j].pattern);
      for (j = 0; j < rule->n_annotations; j++)
        {
          free_string (policy, rule->annotations[j].key);
          free_string (policy, rule->annotations[j].value.pattern);
        }
      free (rule->annotations);
      free_string (policy, rule->name);
    }
  free (policy->rules);
  policy_regexes_free (policy->regexes);
  free (policy->source);
  free (policy->text);
  json_decref (policy->profiles);
  json_decref (policy->profile_sources);
  free_string (policy, policy->log_file);
  free_string (policy, policy->runtime);
  free (policy->arena);
  free (policy);
}
