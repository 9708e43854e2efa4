/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The settings table drives the parser, the cache codec and the
   documentation: every value of every row parses (at the top level and in
   a rule), comes back from the compiled cache, and is documented in
   capguard-policy(5) and policy/README.md; a value the row does not name is
   refused, naming the key.  */
#include <fcntl.h>
#include <stdlib.h>

#include "policy_cache.h"
#include "policy_internal.h"
#include "policy_settings.h"
#include "tap.h"
#include "util.h"

#define LAST 40
#define SRC_DIR FIXTURES_DIR "/../.."

static struct policy *
parse (const char *text, char **msg)
{
  cleanup_error struct error *err = NULL;
  struct policy *p = policy_parse (text, strlen (text), "p.json", LAST, 0, &err);

  if (p == NULL && msg)
    *msg = xstrdup (err->msg);
  else if (p == NULL)
    fprintf (stderr, "# %s: %s\n", text, err->msg);
  return p;
}

/* Through the compiled cache and back.  */
static struct policy *
cached (const struct policy *p, const char *text)
{
  struct policy_cache_key key;
  cleanup_free char *entry = NULL, *t = xstrdup (text);
  size_t len;

  if (policy_cache_key ("/etc/capguard/policy.json", text, strlen (text), LAST, &key) < 0)
    return NULL;
  entry = policy_cache_encode (p, &key, &len);
  return policy_cache_decode (&entry, len, &key, "/etc/capguard/policy.json", &t, strlen (text));
}

/* ROW's value number I as JSON text.  */
static char *
value_text (const struct policy_setting *row, size_t i)
{
  char *v;

  if (row->kind == SETTING_FLAG)
    return xstrdup (i ? "true" : "false");
  xasprintf (&v, "\"%s\"", row->names[i]);
  return v;
}

static int
test_every_value_parses_and_survives_the_cache (void)
{
  size_t r, i, n = 0;

  for (r = 0; r < policy_settings_count; r++)
    {
      const struct policy_setting *row = &policy_settings_table[r];

      if (row->kind == SETTING_SET)
        continue;
      EXPECT (row->n_names >= 2 && row->shown != NULL && row->label != NULL);
      for (i = 0; i < row->n_names; i++)
        {
          size_t j = i == 0 ? 1 : 0; /* the rule's: another value */
          cleanup_free char *v = value_text (row, i), *w = value_text (row, j), *text = NULL;
          cleanup_policy struct policy *p = NULL, *q = NULL;

          xasprintf (&text,
                     "{\"version\":1,\"capabilities\":{\"allow\":[\"KILL\"]},\"%s\":%s,"
                     "\"rules\":[{\"name\":\"r\",\"match\":{},\"%s\":%s}]}",
                     row->key, v, row->key, w);
          EXPECT ((p = parse (text, NULL)) != NULL);
          EXPECT (policy_setting_value (row, &p->defaults) == i);
          EXPECT (policy_setting_value (row, &p->rules[0].settings) == j);
          EXPECT_STR (policy_setting_name (row, &p->defaults), row->names[i]);
          EXPECT ((q = cached (p, text)) != NULL && q->cached);
          EXPECT (policy_setting_value (row, &q->defaults) == i);
          EXPECT (policy_setting_value (row, &q->rules[0].settings) == j);
          n++;
        }
    }
  /* action's three, noNewPrivileges' two, seccomp's three, and two each for
     pingGroupRange, privileged, userNamespaces: the table is what was read.  */
  EXPECT (n == 14);
  return 0;
}

static int
test_unknown_values_refused (void)
{
  size_t r;

  for (r = 0; r < policy_settings_count; r++)
    {
      const struct policy_setting *row = &policy_settings_table[r];
      cleanup_free char *text = NULL, *msg = NULL, *want = NULL;
      cleanup_policy struct policy *p = NULL;

      if (row->kind == SETTING_SET)
        continue;
      xasprintf (&text, "{\"version\":1,\"capabilities\":{\"allow\":[]},\"%s\":%s}", row->key,
                 row->kind == SETTING_FLAG ? "\"true\"" : "\"Keep\"");
      EXPECT ((p = parse (text, &msg)) == NULL);
      xasprintf (&want, "`%s`", row->key);
      EXPECT (strstr (msg, want) != NULL);
      EXPECT (strncmp (msg, "p.json:1:", 9) == 0);
    }
  return 0;
}

/* The text of the section of capguard-policy(5) that documents KEY: from
   its `.B`/`.BR` line after a `.TP` up to the next `.TP` or `.SH`.  */
static char *
man_section (const char *man, const char *key)
{
  const char *p = man;
  size_t klen = strlen (key);

  while ((p = strstr (p, ".TP\n")))
    {
      const char *line = p + 4, *eol = strchr (line, '\n'), *k;
      p = line;
      if (eol == NULL || strncmp (line, ".B", 2) != 0)
        continue;
      for (k = line; (k = strstr (k, key)) && k < eol; k++)
        if ((k[klen] == ' ' || k[klen] == '\n' || k[klen] == '"') && k[-1] == ' ')
          {
            const char *end = strstr (eol, "\n.TP\n"), *sh = strstr (eol, "\n.SH ");
            if (end == NULL || (sh && sh < end))
              end = sh ? sh : eol + strlen (eol);
            return xstrndup (line, end - line);
          }
    }
  return NULL;
}

static int
test_documented (void)
{
  cleanup_error struct error *err = NULL;
  cleanup_free char *man = NULL, *readme = NULL;
  size_t r, i, len;

  EXPECT (util_read_file_at (AT_FDCWD, SRC_DIR "/man/capguard-policy.5", 1 << 20, &man, &len, &err)
          == 0);
  EXPECT (util_read_file_at (AT_FDCWD, SRC_DIR "/policy/README.md", 1 << 20, &readme, &len, &err)
          == 0);
  for (r = 0; r < policy_settings_count; r++)
    {
      const struct policy_setting *row = &policy_settings_table[r];
      cleanup_free char *section = man_section (man, row->key), *head = NULL;
      const char *line, *eol;

      if (section == NULL)
        fprintf (stderr, "# capguard-policy(5) has no .TP entry for %s\n", row->key);
      EXPECT (section != NULL);
      /* policy/README.md's table has a row of its own for it.  */
      xasprintf (&head, "\n| `%s` |", row->key);
      EXPECT ((line = strstr (readme, head)) != NULL);
      eol = strchr (line + 1, '\n');
      EXPECT (eol != NULL);
      for (i = 0; row->kind == SETTING_WORD && i < row->n_names; i++)
        {
          cleanup_free char *quoted = NULL, *rline = xstrndup (line, eol - line);
          if (strstr (section, row->names[i]) == NULL)
            fprintf (stderr, "# capguard-policy(5) on %s does not name %s\n", row->key,
                     row->names[i]);
          EXPECT (strstr (section, row->names[i]) != NULL);
          xasprintf (&quoted, "`\"%s\"`", row->names[i]);
          EXPECT (strstr (rline, quoted) != NULL);
        }
    }
  return 0;
}

TAP_MAIN (T (test_every_value_parses_and_survives_the_cache), T (test_unknown_values_refused),
          T (test_documented))
