/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "toml.h"
#include "tomledit.h"
#include "util.h"

/* TEXT with LEN bytes at AT replaced by INSERT.  */
static char *
splice (const char *text, size_t at, size_t len, const char *insert)
{
  char *out;

  xasprintf (&out, "%.*s%s%s", (int)at, text, insert, text + at + len);
  return out;
}

/* The newline the line ending at END (just past its newline) uses, or the
   file's first one when that line has none.  */
static const char *
newline_at (const char *text, size_t end)
{
  const char *first;

  if (end >= 2 && text[end - 1] == '\n' && text[end - 2] == '\r')
    return "\r\n";
  if (end >= 1 && text[end - 1] == '\n')
    return "\n";
  first = strchr (text, '\n');
  return first && first > text && first[-1] == '\r' ? "\r\n" : "\n";
}

/* The blanks that begin the line at START.  */
static char *
indent_of (const char *text, size_t start)
{
  size_t n = strspn (text + start, " \t");
  return xstrndup (text + start, n);
}

/* Whether SPAN is one physical line (its newline last, if any).  */
static bool
one_line (const char *text, struct toml_span span)
{
  const char *nl = memchr (text + span.start, '\n', span.end - span.start);
  return nl == NULL || (size_t)(nl - text) + 1 == span.end;
}

/* The key/value statement that writes V: V, or the inline table or array
   around it that a statement assigns.  */
static const struct toml_node *
statement_of (const struct toml_node *v)
{
  while (v && !(v->stmt.end > 0 && (v->origin == TOML_VALUE || v->origin == TOML_INLINE)))
    v = v->parent;
  return v;
}

/* The dotted key from just below SECTION down to T, then REST (N keys).  */
static char *
dotted_key (const struct toml_node *section, const struct toml_node *t, const char *const *rest,
            size_t n)
{
  char *out = NULL;
  const struct toml_node *chain[64];
  size_t depth = 0, i;

  for (; t && t != section && depth < 64; t = t->parent)
    if (t->key)
      chain[depth++] = t;
  while (depth > 0)
    {
      cleanup_free char *q = toml_quote_key (chain[--depth]->key);
      util_append (&out, ".", "%s", q);
    }
  for (i = 0; i < n; i++)
    {
      cleanup_free char *q = toml_quote_key (rest[i]);
      util_append (&out, ".", "%s", q);
    }
  return out;
}

static char *
header_of (const struct tomledit_key *k)
{
  char *out = NULL;
  size_t i;

  for (i = 0; i < k->depth; i++)
    {
      cleanup_free char *q = toml_quote_key (k->table[i]);
      util_append (&out, ".", "%s", q);
    }
  return out;
}

/* The tree TEXT should read as after the edit: ROOT's, with K set.  */
static json_t *
expected_tree (const struct toml_node *root, const struct tomledit_key *k, json_t *value)
{
  json_t *doc = toml_to_tagged_json (root), *cur = doc;
  size_t i;

  for (i = 0; i < k->depth; i++)
    {
      json_t *next = json_object_get (cur, k->table[i]);
      if (next == NULL)
        json_object_set_new (cur, k->table[i], next = json_object ());
      if (json_is_array (next))
        next = json_array_get (next, json_array_size (next) - 1);
      cur = next;
    }
  json_object_set (cur, k->key, value);
  return doc;
}

/* The value K->value as tagged JSON, or NULL when it is not one TOML value.  */
static json_t *
value_tree (const struct tomledit_key *k, struct error **err)
{
  cleanup_toml struct toml_node *root = NULL;
  cleanup_free char *doc = NULL;
  json_auto_t *whole = NULL;

  xasprintf (&doc, "v = %s\n", k->value);
  if (toml_parse (doc, strlen (doc), "value", &root, err) < 0)
    return NULL;
  if (root->n_items != 1)
    return make_error (err, 0, "not one value"), NULL;
  whole = toml_to_tagged_json (root);
  return json_incref (json_object_get (whole, "v"));
}

static bool
marked (const char *line, size_t body)
{
  size_t n = strlen (TOMLEDIT_MARK);

  return body >= n && strncmp (line + body - n, TOMLEDIT_MARK, n) == 0;
}

/* TEXT with the one-line statement STMT replaced by BODY (no newline) and
   the mark, the line as it was kept above it as a comment unless it is
   capguard's own.  */
static char *
replace_line (const char *text, struct toml_span stmt, const char *body)
{
  bool has_nl = stmt.end > stmt.start && text[stmt.end - 1] == '\n';
  const char *nl = newline_at (text, stmt.end);
  size_t len = stmt.end - stmt.start - (has_nl ? strlen (nl) : 0);
  cleanup_free char *line = NULL;

  if (marked (text + stmt.start, len))
    xasprintf (&line, "%s  " TOMLEDIT_MARK "%s", body, has_nl ? nl : "");
  else
    xasprintf (&line, TOMLEDIT_SAVED "%.*s%s%s  " TOMLEDIT_MARK "%s", (int)len, text + stmt.start,
               nl, body, has_nl ? nl : "");
  return splice (text, stmt.start, stmt.end - stmt.start, line);
}

/* A new value for the existing key V, on its statement's line.  */
static int
replace_value (const char *text, const struct toml_node *v, const char *value, char **out,
               struct error **err)
{
  const struct toml_node *s = statement_of (v);
  cleanup_free char *body = NULL;

  if (s == NULL || !one_line (text, s->stmt))
    return make_error (err, 0, "line %zu: the statement setting `%s` spans several lines",
                       s ? s->line : 0, v->key);
  xasprintf (&body, "%.*s%s%.*s", (int)(v->value.start - s->stmt.start), text + s->stmt.start,
             value, (int)(s->value.end - v->value.end), text + v->value.end);
  *out = replace_line (text, s->stmt, body);
  return 0;
}

/* KEY = VALUE added inside the inline table T, on its statement's line.  */
static int
add_inline (const char *text, const struct toml_node *t, const char *key, const char *value,
            char **out, struct error **err)
{
  const struct toml_node *s = statement_of (t);
  cleanup_free char *body = NULL;
  size_t at;

  if (s == NULL || t->value.end <= t->value.start || text[t->value.end - 1] != '}'
      || !one_line (text, s->stmt))
    return make_error (err, 0,
                       "line %zu: the table is written inside an inline table capguard cannot "
                       "extend on one line; write it as a [table] and run install again",
                       s ? s->line : 0);
  at = t->value.end - 1;
  while (at > t->value.start + 1 && (text[at - 1] == ' ' || text[at - 1] == '\t'))
    at--;
  xasprintf (&body, "%.*s%s%s = %s%.*s", (int)(at - s->stmt.start), text + s->stmt.start,
             t->n_items > 0 ? ", " : "", key, value, (int)(s->value.end - at), text + at);
  *out = replace_line (text, s->stmt, body);
  return 0;
}

/* A marked line inserted at AT, indented as the line at INDENT_FROM plus
   EXTRA.  */
static char *
insert_line (const char *text, size_t at, size_t indent_from, const char *extra, const char *body)
{
  cleanup_free char *indent = indent_of (text, indent_from), *line = NULL;
  const char *nl = newline_at (text, at);
  bool bare_end = at > 0 && text[at - 1] != '\n';

  /* At the end of a file without a final newline, the line goes after a
     newline of its own and ends without one (tomledit_revert knows).  */
  xasprintf (&line, "%s%s%s%s  " TOMLEDIT_MARK "%s", bare_end ? nl : "", indent, extra, body,
             bare_end ? "" : nl);
  return splice (text, at, 0, line);
}

/* The edit, before it is read back.  */
static int
edit (const char *text, const struct toml_node *root, const struct tomledit_key *k, char **out,
      struct error **err)
{
  const struct toml_node *a = root, *v;
  cleanup_free char *qkey = toml_quote_key (k->key), *pair = NULL;
  size_t found = 0, i;

  for (i = 0; i < k->depth; i++)
    {
      const struct toml_node *c = toml_child (a, k->table[i]);
      if (c && c->type == TOML_ARRAY && !c->frozen && c->n_items > 0)
        c = c->items[c->n_items - 1];
      if (c == NULL)
        break;
      if (c->type != TOML_TABLE)
        return make_error (err, 0, "`%s` is a value, not a table", k->table[i]);
      a = c;
      found++;
    }
  if (found == k->depth && (v = toml_child (a, k->key)) != NULL)
    {
      if (v->type == TOML_TABLE || v->type == TOML_ARRAY)
        return make_error (err, 0, "line %zu: `%s` is a table or an array, not a value",
                           statement_of (v) ? statement_of (v)->line : 0, k->key);
      return replace_value (text, v, k->value, out, err);
    }
  /* A is the deepest table there is; K->table[FOUND...] and the key are
     missing below it.  */
  if (a->frozen || a->origin == TOML_INLINE)
    {
      cleanup_free char *rest = dotted_key (a, a, k->table + found, k->depth - found);
      xasprintf (&pair, "%s%s%s", rest ? rest : "", rest ? "." : "", qkey);
      return add_inline (text, a, pair, k->value, out, err);
    }
  if (a->section && a->last_end > 0 && a->origin != TOML_HEADER && a->origin != TOML_ELEMENT
      && a->origin != TOML_ROOT)
    {
      /* Made (or extended) by dotted keys: one more, after its last.  */
      cleanup_free char *key = dotted_key (a->section, a, k->table + found, k->depth - found);
      xasprintf (&pair, "%s.%s = %s", key, qkey, k->value);
      *out = insert_line (text, a->last_end, a->last_stmt.start, "", pair);
      return 0;
    }
  if ((a->origin == TOML_HEADER || a->origin == TOML_ELEMENT) && found == k->depth)
    {
      xasprintf (&pair, "%s = %s", qkey, k->value);
      *out = insert_line (text, a->stmt.end, a->stmt.start, "  ", pair);
      return 0;
    }
  if (a->origin == TOML_ROOT && k->depth == 0)
    {
      /* A top-level key: after the last one, or first in the file.  */
      xasprintf (&pair, "%s = %s", qkey, k->value);
      *out = insert_line (text, a->last_end, a->last_end ? a->last_stmt.start : 0, "", pair);
      return 0;
    }
  if (a->origin == TOML_HEADER || a->origin == TOML_ELEMENT)
    {
      /* One dotted key under the deepest table's header (a header
         appended at the end would also name only the last element of an
         array of tables).  */
      cleanup_free char *rest = dotted_key (a, a, k->table + found, k->depth - found);
      xasprintf (&pair, "%s.%s = %s", rest, qkey, k->value);
      *out = insert_line (text, a->stmt.end, a->stmt.start, "  ", pair);
      return 0;
    }
  {
    cleanup_free char *head = header_of (k);
    size_t len = strlen (text);
    const char *nl = newline_at (text, len);
    bool bare_end = len && text[len - 1] != '\n';
    /* A blank line before the block, unless the file is empty.  */
    xasprintf (out, "%s%s%s" TOMLEDIT_BEGIN "%s[%s]%s  %s = %s%s" TOMLEDIT_END "%s", text,
               bare_end ? nl : "", len ? nl : "", nl, head, nl, qkey, k->value, nl,
               bare_end ? "" : nl);
  }
  return 0;
}

int
tomledit_set (const char *text, const char *name, const struct tomledit_key *k, char **out,
              struct error **err)
{
  cleanup_toml struct toml_node *root = NULL;
  cleanup_toml struct toml_node *after = NULL;
  json_auto_t *value = NULL, *want = NULL, *got = NULL;
  cleanup_free char *edited = NULL;
  const struct toml_node *v;

  *out = NULL;
  if (toml_parse (text, strlen (text), name, &root, err) < 0)
    return -1;
  value = value_tree (k, err);
  if (value == NULL)
    return error_wrap (err, "internal error: the value `%s`", k->value);
  v = toml_get (root, k->table, k->depth);
  v = v ? toml_child (v, k->key) : NULL;
  if (v && v->type != TOML_TABLE && v->type != TOML_ARRAY)
    {
      json_auto_t *now = toml_to_tagged_json (v);
      if (json_equal (now, value))
        return 0;
    }
  if (edit (text, root, k, &edited, err) < 0)
    return error_wrap (err, "%s", name);
  /* Read back: the file must say what it said, plus the key.  */
  want = expected_tree (root, k, value);
  if (toml_parse (edited, strlen (edited), name, &after, err) < 0)
    return error_wrap (err, "capguard's edit would make %s unreadable; nothing was changed", name);
  got = toml_to_tagged_json (after);
  if (!json_equal (want, got))
    {
      cleanup_free char *head = header_of (k);
      return make_error (err, 0,
                         "%s: adding `%s` to [%s] in the form this file gives that table would "
                         "change more than that key; nothing was changed (write the table as a "
                         "[header] of its own)",
                         name, k->key, head ? head : "");
    }
  *out = steal_pointer (&edited);
  return 0;
}

int
tomledit_revert (const char *text, char **out, struct error **err)
{
  const char *p = text;
  bool in_block = false, changed = false, ours_last = false;
  char *result = xstrdup ("");
  while (*p)
    {
      const char *nl = strchr (p, '\n');
      size_t len = nl ? (size_t)(nl - p + 1) : strlen (p);
      size_t body = nl ? len - 1 : len;
      const char *next = p + len;

      if (body > 0 && p[body - 1] == '\r')
        body--;
      ours_last = false;
      if (in_block)
        {
          if (body == strlen (TOMLEDIT_END) && strncmp (p, TOMLEDIT_END, body) == 0)
            {
              in_block = false;
              ours_last = nl == NULL;
            }
        }
      else if (body == strlen (TOMLEDIT_BEGIN) && strncmp (p, TOMLEDIT_BEGIN, body) == 0)
        {
          /* The blank line install put before the block goes with it.  */
          size_t rlen = strlen (result);
          if (rlen >= 2 && result[rlen - 1] == '\n' && result[rlen - 2] == '\n')
            result[rlen - 1] = '\0';
          else if (rlen >= 4 && strcmp (result + rlen - 4, "\r\n\r\n") == 0)
            result[rlen - 2] = '\0';
          in_block = changed = true;
        }
      else if (marked (p, body))
        {
          changed = true;
          ours_last = nl == NULL;
        }
      else if (strncmp (p, TOMLEDIT_SAVED, strlen (TOMLEDIT_SAVED)) == 0)
        {
          util_append (&result, "", "%.*s", (int)(len - strlen (TOMLEDIT_SAVED)),
                       p + strlen (TOMLEDIT_SAVED));
          changed = true;
        }
      else
        util_append (&result, "", "%.*s", (int)len, p);
      p = next;
    }
  if (in_block)
    {
      free (result);
      return make_error (err, 0, "`" TOMLEDIT_BEGIN "` has no end line: edit the file by hand");
    }
  /* A last line of capguard's without a newline: the newline before it
     was capguard's too.  */
  if (ours_last)
    {
      size_t rlen = strlen (result);
      if (rlen >= 2 && strcmp (result + rlen - 2, "\r\n") == 0)
        result[rlen - 2] = '\0';
      else if (rlen >= 1 && result[rlen - 1] == '\n')
        result[rlen - 1] = '\0';
    }
  if (!changed)
    {
      free (result);
      result = NULL;
    }
  *out = result;
  return 0;
}
