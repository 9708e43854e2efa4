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

int
policy_regex_compile (struct policy_regex *r)
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

const char *
policy_regex_error (const struct policy_regex *r)
{
  return r->state ? r->state->error : NULL;
}

void
policy_regex_release (struct policy_regex *r)
{
  if (r->state == NULL)
    return;
  if (r->state->compiled == 1)
    regfree (&r->state->re);
  free (r->state->error);
  free (r->state);
  r->state = NULL;
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
      for (j = 0; j < FIELD_COUNT; j++)
        if (rule->has_field[j] && !regex_compiles (&rule->field[j]))
          return false;
      for (j = 0; j < rule->n_annotations; j++)
        if (!regex_compiles (&rule->annotations[j].value))
          return false;
    }
  return true;
}

bool
policy_regex_whole (const struct policy_regex *regex, const char *value)
{
  struct policy_regex *r = (struct policy_regex *)regex; /* compiled on first use */
  regmatch_t m;

  if (value == NULL || policy_regex_compile (r) < 0)
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
  if (policy_regex_compile ((struct policy_regex *)regex) < 0)
    {
      *broken = policy_regex_error (regex);
      return -1;
    }
  return policy_regex_whole (regex, value);
}

static int
rule_matches (const struct policy_rule *rule, const struct policy_subject *s, const char **broken)
{
  size_t i;
  int f, m;

  for (f = 0; f < FIELD_COUNT; f++)
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
