/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Rules' regexes and matching: which rule a container's identity selects.  */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"
#include "util.h"

/* A regex once compiled: allocated then, so that a rule never tried costs
   no more than its pattern (a 1 000-rule policy's rules would otherwise
   hold 10 000 regex_t).  */
struct policy_regex_state
{
  int compiled; /* 1, or -1 when the pattern does not compile */
  regex_t re;
  char *error; /* why it does not */
};

/* Every regex's state, by slot; NULL until compiled.  */
struct policy_regexes
{
  size_t n;
  struct policy_regex_state **states;
};

struct policy_regexes *
policy_regexes_new (void)
{
  return xmalloc0 (sizeof (struct policy_regexes));
}

void
policy_regexes_free (struct policy_regexes *regexes)
{
  size_t i;

  if (regexes == NULL)
    return;
  for (i = 0; i < regexes->n; i++)
    if (regexes->states[i])
      {
        if (regexes->states[i]->compiled == 1)
          regfree (&regexes->states[i]->re);
        free (regexes->states[i]->error);
        free (regexes->states[i]);
      }
  free (regexes->states);
  free (regexes);
}

void
policy_regex_add (struct policy *policy, struct policy_regex *r)
{
  r->slot = policy->n_regexes++;
}

static struct policy_regex_state *
state_of (const struct policy *policy, const struct policy_regex *r)
{
  return r->slot < policy->regexes->n ? policy->regexes->states[r->slot] : NULL;
}

int
policy_regex_compile (const struct policy *policy, const struct policy_regex *r)
{
  struct policy_regexes *t = policy->regexes;
  struct policy_regex_state *st = state_of (policy, r);
  char buf[256];
  int e;

  if (st)
    return st->compiled;
  if (r->slot >= t->n)
    {
      size_t n = policy->n_regexes > r->slot ? policy->n_regexes : r->slot + 1;
      t->states = xrealloc (t->states, sizeof *t->states * n);
      memset (t->states + t->n, 0, sizeof *t->states * (n - t->n));
      t->n = n;
    }
  st = t->states[r->slot] = xmalloc0 (sizeof *st);
  /* No REG_NOSUB: the match offsets tell whether the whole value matched.  */
  e = regcomp (&st->re, r->pattern, REG_EXTENDED);
  if (e == 0)
    return st->compiled = 1;
  regerror (e, &st->re, buf, sizeof buf);
  xasprintf (&st->error, "`%s`: invalid regex `%s`: %s", r->what, r->pattern, buf);
  return st->compiled = -1;
}

const char *
policy_regex_error (const struct policy *policy, const struct policy_regex *r)
{
  struct policy_regex_state *st = state_of (policy, r);
  return st ? st->error : NULL;
}

bool
policy_regex_compiled (const struct policy *policy, const struct policy_regex *r)
{
  return state_of (policy, r) != NULL;
}

#define REGEX_MAX_LEN 1024
#define REGEX_MAX_BOUND 255

/* glibc's regcomp builds an automaton that can grow exponentially with
   stacked repetitions (`a++++`, `a{200}{200}`): found by the fuzzer, a
   short pattern took gigabytes.  POSIX leaves consecutive repetition
   operators undefined anyway, so they are refused, as are long patterns
   and large bounds.  */
const char *
policy_regex_too_costly (const char *p)
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

/* Whether R compiles, without keeping it compiled.  */
static bool
regex_compiles (const struct policy *policy, const struct policy_regex *r)
{
  struct policy_regex_state *st = state_of (policy, r);
  regex_t re;

  if (st)
    return st->compiled == 1;
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
      for (j = 0; j < FIELD_COUNT; j++)
        if (rule->has_field[j] && !regex_compiles (policy, &rule->field[j]))
          return false;
      for (j = 0; j < rule->n_annotations; j++)
        if (!regex_compiles (policy, &rule->annotations[j].value))
          return false;
    }
  return true;
}

/* Whether POLICY's REGEX matches the whole of VALUE: 1, 0, or -1 when it
   does not compile (*BROKEN says why).  A missing value never matches, and
   needs no regex.  */
static int
whole_match (const struct policy *policy, const struct policy_regex *regex, const char *value,
             const char **broken)
{
  regmatch_t m;

  if (value == NULL)
    return 0;
  if (policy_regex_compile (policy, regex) < 0)
    {
      *broken = policy_regex_error (policy, regex);
      return -1;
    }
  /* POSIX picks the leftmost, then longest, match: if any match spans the
     whole value, that is the one reported.  Checking the span rather than
     wrapping the pattern in ^(...)$ keeps a pattern like `a)|(b` from
     escaping the anchors.  */
  if (regexec (&state_of (policy, regex)->re, value, 1, &m, 0) != 0)
    return 0;
  return m.rm_so == 0 && (size_t)m.rm_eo == strlen (value);
}

static int
rule_matches (const struct policy *policy, const struct policy_rule *rule,
              const struct policy_subject *s, const char **broken)
{
  size_t i;
  int f, m;

  for (f = 0; f < FIELD_COUNT; f++)
    if (rule->has_field[f]
        && (m = whole_match (policy, &rule->field[f], s->fields[f], broken)) != 1)
      return m;
  if (rule->has_uid && (!s->has_uid || s->uid != rule->uid))
    return 0;
  for (i = 0; i < rule->n_annotations; i++)
    {
      json_t *v
          = s->annotations ? json_object_get (s->annotations, rule->annotations[i].key) : NULL;
      if ((m = whole_match (policy, &rule->annotations[i].value, json_string_value (v), broken))
          != 1)
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
    switch (rule_matches (policy, &policy->rules[i], subject, broken))
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
