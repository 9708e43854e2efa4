/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "jsonedit.h"
#include "jsontext.h"
#include "util.h"

/* Edits of one member of a JSON document (Docker's daemon.json) that keep
   every other byte: jsontext.c finds where a value is written, the edit
   replaces, inserts or removes that member's text, and the result is read
   back: a document that does not read as the old one with exactly that
   change is refused.  */

static void
steps_of (const char *const *path, size_t depth, const char *key, struct jsontext_step *steps)
{
  size_t i;

  for (i = 0; i < depth; i++)
    steps[i] = (struct jsontext_step){ .key = path[i] };
  if (key)
    steps[depth] = (struct jsontext_step){ .key = key };
}

static char *
splice (const char *text, size_t at, size_t len, const char *insert)
{
  char *out;

  xasprintf (&out, "%.*s%s%s", (int)at, text, insert, text + at + len);
  return out;
}

/* The member KEY with VALUE, inserted as the last member of the object
   spanning [START, END) in TEXT, in the object's own layout.  */
static char *
insert_member (const char *text, json_t *object, const struct jsontext_step *steps, size_t depth,
               size_t start, size_t end, const char *key, json_t *value)
{
  json_auto_t *quoted = json_string (key);
  cleanup_free char *v = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
  cleanup_free char *k = json_dumps (quoted, JSON_ENCODE_ANY);
  cleanup_free char *member = NULL;
  const char *last = NULL, *name;
  json_t *ignored;
  bool multiline = memchr (text + start, '\n', end - start) != NULL;

  json_object_foreach (object, name, ignored)
    last = name;
  if (last == NULL)
    {
      /* An empty object: the member goes between the braces.  */
      xasprintf (&member, "%s: %s", k, v);
      return splice (text, end - 1, 0, member);
    }
  {
    struct jsontext_step s[34];
    size_t vs, ve, ks, line;
    memcpy (s, steps, depth * sizeof *s);
    s[depth] = (struct jsontext_step){ .key = last };
    jsontext_span (text, strlen (text), s, depth + 1, &vs, &ve);
    ks = (size_t)jsontext_locate (text, strlen (text), s, depth + 1, true);
    if (multiline)
      {
        for (line = ks; line > 0 && text[line - 1] != '\n'; line--)
          ;
        xasprintf (&member, ",\n%.*s%s: %s", (int)(ks - line), text + line, k, v);
      }
    else
      xasprintf (&member, ", %s: %s", k, v);
    return splice (text, ve, 0, member);
  }
}

static int
read_back (const char *out, const char *name, json_t *want, struct error **err)
{
  cleanup_error struct error *why = NULL;
  json_auto_t *got = jsontext_load_object (out, strlen (out), name, &why);

  if (got == NULL || !json_equal (got, want))
    return make_error (err, 0,
                       "%s: capguard's edit would change more than it means to; nothing "
                       "was changed",
                       name);
  return 0;
}

int
jsonedit_set (const char *text, const char *name, const char *const *path, size_t depth,
              const char *key, json_t *value, char **out, struct error **err)
{
  json_auto_t *doc = jsontext_load_object (text, strlen (text), name, err);
  json_auto_t *want = NULL;
  struct jsontext_step steps[34];
  json_t *cur, *obj;
  size_t i, start, end;

  *out = NULL;
  if (doc == NULL)
    return -1;
  if (depth > 32)
    return make_error (err, 0, "%s: path too deep", name);
  want = json_deep_copy (doc);
  /* The document as it should read after the edit.  */
  cur = want;
  for (i = 0; i < depth; i++)
    {
      json_t *next = json_object_get (cur, path[i]);
      if (next == NULL)
        json_object_set_new (cur, path[i], next = json_object ());
      if (!json_is_object (next))
        return make_error (err, 0, "%s: `%s` is not an object", name, path[i]);
      cur = next;
    }
  if (json_equal (json_object_get (cur, key), value))
    return 0;
  json_object_set (cur, key, value);
  /* The deepest object there is, and what is missing below it.  */
  obj = doc;
  for (i = 0; i < depth && json_is_object (json_object_get (obj, path[i])); i++)
    obj = json_object_get (obj, path[i]);
  steps_of (path, depth, key, steps);
  if (i == depth && json_object_get (obj, key))
    {
      cleanup_free char *v = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
      if (jsontext_span (text, strlen (text), steps, depth + 1, &start, &end) < 0)
        return make_error (err, 0, "%s: cannot find `%s` in the text", name, key);
      *out = splice (text, start, end - start, v);
    }
  else
    {
      /* What is missing below OBJ, as the value of one member of it:
         path[i] (or the key itself) holding the rest.  */
      json_auto_t *member = json_incref (value);
      size_t j;
      for (j = depth; j > i; j--)
        {
          json_t *wrap = json_object ();
          json_object_set (wrap, j == depth ? key : path[j], member);
          json_decref (member);
          member = wrap;
        }
      if (jsontext_span (text, strlen (text), steps, i, &start, &end) < 0)
        return make_error (err, 0, "%s: cannot find the object in the text", name);
      *out = insert_member (text, obj, steps, i, start, end, i == depth ? key : path[i], member);
    }
  if (read_back (*out, name, want, err) < 0)
    {
      free (*out);
      *out = NULL;
      return -1;
    }
  return 0;
}

int
jsonedit_remove (const char *text, const char *name, const char *const *path, size_t depth,
                 const char *key, char **out, struct error **err)
{
  json_auto_t *doc = jsontext_load_object (text, strlen (text), name, err);
  json_auto_t *want = NULL;
  struct jsontext_step steps[34];
  json_t *obj = doc;
  size_t i, os, oe, vs, ve, ks, from, to;
  const char *first = NULL, *k;
  json_t *ignored;

  *out = NULL;
  if (doc == NULL)
    return -1;
  if (depth > 32)
    return make_error (err, 0, "%s: path too deep", name);
  for (i = 0; i < depth && obj; i++)
    obj = json_object_get (obj, path[i]);
  if (!json_is_object (obj) || json_object_get (obj, key) == NULL)
    return 0;
  want = json_deep_copy (doc);
  {
    json_t *w = want;
    for (i = 0; i < depth; i++)
      w = json_object_get (w, path[i]);
    json_object_del (w, key);
  }
  steps_of (path, depth, key, steps);
  if (jsontext_span (text, strlen (text), steps, depth, &os, &oe) < 0
      || jsontext_span (text, strlen (text), steps, depth + 1, &vs, &ve) < 0)
    return make_error (err, 0, "%s: cannot find `%s` in the text", name, key);
  ks = (size_t)jsontext_locate (text, strlen (text), steps, depth + 1, true);
  json_object_foreach (obj, k, ignored)
    {
      first = k;
      break;
    }
  if (json_object_size (obj) == 1)
    {
      /* The only member: the braces are left empty.  */
      from = os + 1;
      to = oe - 1;
    }
  else if (strcmp (first, key) == 0)
    {
      /* The first: it goes with the comma after it and the blanks up to
         the next member.  */
      from = ks;
      to = ve;
      while (text[to] && strchr (" \t\r\n", text[to]))
        to++;
      if (text[to] == ',')
        to++;
      while (text[to] && strchr (" \t\r\n", text[to]))
        to++;
    }
  else
    {
      /* Another: from the comma before it.  */
      from = ks;
      while (from > os && text[from - 1] != ',')
        from--;
      from--;
      while (from > os && strchr (" \t\r\n", text[from - 1]))
        from--;
      to = ve;
    }
  *out = splice (text, from, to - from, "");
  if (read_back (*out, name, want, err) < 0)
    {
      free (*out);
      *out = NULL;
      return -1;
    }
  return 0;
}
