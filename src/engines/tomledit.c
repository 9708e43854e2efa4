/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>

#include "tomledit.h"
#include "util.h"

/* One physical line and what it is, seen with the state carried from the
   lines before it (a multi-line string or array).  */
enum line_kind
{
  LINE_OTHER,  /* blank, comment, or the continuation of a value */
  LINE_HEADER, /* [table] or [[array of tables]] */
  LINE_KEY,    /* key = value */
};

struct line
{
  const char *start;
  size_t len; /* with its newline, if any */
  enum line_kind kind;
  char *path[16]; /* a header's table, or a key's dotted key */
  size_t depth;
  bool array;            /* [[...]] */
  const char *value;     /* a key's value, from its first character */
  const char *value_end; /* ...to the end of its last line */
};

struct scan
{
  struct line *lines;
  size_t n;
  char in_string; /* '"' or '\'' while inside a multi-line string */
  int nesting;    /* open [ and { of a value spanning lines */
};

static void
scan_release (struct scan *s)
{
  size_t i, j;

  for (i = 0; i < s->n; i++)
    for (j = 0; j < s->lines[i].depth; j++)
      free (s->lines[i].path[j]);
  free (s->lines);
}

static bool
bare_char (char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
         || c == '-';
}

static const char *
skip_ws (const char *p, const char *end)
{
  while (p < end && (*p == ' ' || *p == '\t'))
    p++;
  return p;
}

/* A dotted key at P: its parts in PATH.  Returns what follows, or NULL.  */
static const char *
parse_key (const char *p, const char *end, char **path, size_t *depth)
{
  *depth = 0;
  for (;;)
    {
      const char *q;
      char *part;

      p = skip_ws (p, end);
      if (*depth == 16 || p >= end)
        return NULL;
      if (*p == '"' || *p == '\'')
        {
          char quote = *p++;
          size_t n = 0;
          part = xmalloc0 (end - p + 1);
          while (p < end && *p != quote)
            {
              if (quote == '"' && *p == '\\' && p + 1 < end)
                p++;
              part[n++] = *p++;
            }
          if (p >= end)
            {
              free (part);
              return NULL;
            }
          p++;
        }
      else
        {
          for (q = p; q < end && bare_char (*q); q++)
            ;
          if (q == p)
            return NULL;
          part = xstrndup (p, q - p);
          p = q;
        }
      path[(*depth)++] = part;
      p = skip_ws (p, end);
      if (p >= end || *p != '.')
        return p;
      p++;
    }
}

/* Follows a value from P to the end of its line, updating the multi-line
   string and nesting state.  */
static void
scan_value (struct scan *s, const char *p, const char *end)
{
  while (p < end)
    {
      if (s->in_string)
        {
          char triple[4] = { s->in_string, s->in_string, s->in_string, 0 };
          const char *close = NULL, *q;
          for (q = p; q + 3 <= end; q++)
            {
              if (s->in_string == '"' && *q == '\\')
                {
                  q++;
                  continue;
                }
              if (strncmp (q, triple, 3) == 0)
                {
                  close = q;
                  break;
                }
            }
          if (close == NULL)
            return;
          p = close + 3;
          s->in_string = 0;
          continue;
        }
      if (*p == '#')
        return;
      if ((*p == '"' || *p == '\'') && p + 2 < end && p[1] == *p && p[2] == *p)
        {
          s->in_string = *p;
          p += 3;
          continue;
        }
      if (*p == '"' || *p == '\'')
        {
          char quote = *p++;
          while (p < end && *p != quote && *p != '\n')
            p += (quote == '"' && *p == '\\' && p + 1 < end) ? 2 : 1;
          if (p < end && *p == quote)
            p++;
          continue;
        }
      if (*p == '[' || *p == '{')
        s->nesting++;
      else if ((*p == ']' || *p == '}') && s->nesting > 0)
        s->nesting--;
      p++;
    }
}

static int
scan_line (struct scan *s, struct line *l, struct error **err)
{
  const char *p = l->start, *end = l->start + l->len;

  if (s->in_string || s->nesting > 0)
    {
      scan_value (s, p, end);
      return 0;
    }
  p = skip_ws (p, end);
  if (p >= end || *p == '\n' || *p == '\r' || *p == '#')
    return 0;
  if (*p == '[')
    {
      l->array = p + 1 < end && p[1] == '[';
      p = parse_key (p + (l->array ? 2 : 1), end, l->path, &l->depth);
      if (p == NULL || *p != ']' || (l->array && (p + 1 >= end || p[1] != ']')))
        return make_error (err, 0, "line `%.*s`: cannot read this table header", (int)(l->len - 1),
                           l->start);
      l->kind = LINE_HEADER;
      return 0;
    }
  p = parse_key (p, end, l->path, &l->depth);
  if (p == NULL || *p != '=')
    return make_error (err, 0, "line `%.*s`: cannot read this key", (int)(l->len - 1), l->start);
  l->kind = LINE_KEY;
  l->value = skip_ws (p + 1, end);
  scan_value (s, l->value, end);
  return 0;
}

static int
scan_text (const char *text, struct scan *s, struct error **err)
{
  const char *p = text;
  size_t cap = 0, open_key = (size_t)-1;

  memset (s, 0, sizeof *s);
  while (*p)
    {
      const char *nl = strchr (p, '\n');
      size_t len = nl ? (size_t)(nl - p + 1) : strlen (p);
      struct line *l;

      if (s->n == cap)
        {
          cap = cap ? 2 * cap : 64;
          s->lines = xrealloc (s->lines, cap * sizeof *s->lines);
        }
      l = &s->lines[s->n++];
      memset (l, 0, sizeof *l);
      l->start = p;
      l->len = len;
      if (scan_line (s, l, err) < 0)
        return error_wrap (err, "line %zu", s->n);
      if (l->kind == LINE_KEY)
        {
          l->value_end = p + len;
          open_key = s->n - 1;
        }
      else if (open_key != (size_t)-1)
        s->lines[open_key].value_end = p + len;
      if (!s->in_string && s->nesting == 0)
        open_key = (size_t)-1;
      p += len;
    }
  if (s->in_string || s->nesting > 0)
    return make_error (err, 0, "a string or array is not closed at the end of the file");
  return 0;
}

static bool
path_equal (char *const *a, size_t na, const char *const *b, size_t nb)
{
  size_t i;

  if (na != nb)
    return false;
  for (i = 0; i < na; i++)
    if (strcmp (a[i], b[i]) != 0)
      return false;
  return true;
}

/* Whether A (NA keys) is a proper prefix of B (NB keys).  */
static bool
path_prefix (char *const *a, size_t na, const char *const *b, size_t nb)
{
  return na < nb && path_equal (a, na, b, na);
}

/* Finds K's table header (*HEADER, or -1) and its key line (*KEYLINE, or
   -1), and refuses a file where the key could be set elsewhere: the table
   defined twice, or defined in a parent as a key (an inline table or a
   dotted key), which runc's options would then come from.  */
static int
locate (const struct scan *s, const struct tomledit_key *k, long *header, long *keyline,
        struct error **err)
{
  char *const *cur = NULL;
  size_t cur_depth = 0, i;
  bool cur_array = false;

  *header = *keyline = -1;
  for (i = 0; i < s->n; i++)
    {
      const struct line *l = &s->lines[i];

      if (l->kind == LINE_HEADER)
        {
          cur = l->path;
          cur_depth = l->depth;
          cur_array = l->array;
          if (path_equal (l->path, l->depth, k->table, k->depth))
            {
              if (*header >= 0 || l->array)
                return make_error (err, 0, "line %zu: the table is defined twice", i + 1);
              *header = (long)i;
            }
          continue;
        }
      if (l->kind != LINE_KEY || cur_array)
        continue;
      if (*header >= 0 && cur == s->lines[*header].path)
        {
          if (l->depth == 1 && strcmp (l->path[0], k->key) == 0)
            {
              if (*keyline >= 0)
                return make_error (err, 0, "line %zu: `%s` is set twice", i + 1, k->key);
              *keyline = (long)i;
            }
          else if (l->depth > 1 && strcmp (l->path[0], k->key) == 0)
            return make_error (err, 0, "line %zu: `%s` is a dotted key", i + 1, k->key);
          continue;
        }
      /* A key in a parent table that begins the path to K's table.  */
      if (path_prefix (cur, cur_depth, k->table, k->depth))
        {
          size_t j, n = cur_depth;
          bool same = true;
          for (j = 0; j < l->depth && n < k->depth; j++, n++)
            if (strcmp (l->path[j], k->table[n]) != 0)
              {
                same = false;
                break;
              }
          if (same)
            return make_error (err, 0,
                               "line %zu: the table is also set as a key of a parent table (an "
                               "inline table or a dotted key): capguard cannot edit it safely",
                               i + 1);
        }
    }
  return 0;
}

static char *
quote_key (const char *key)
{
  const char *p;
  char *out;

  for (p = key; *p && bare_char (*p); p++)
    ;
  if (*p == '\0' && p != key)
    return xstrdup (key);
  xasprintf (&out, "\"%s\"", key);
  return out;
}

static char *
header_text (const struct tomledit_key *k)
{
  char *out = xstrdup ("[");
  size_t i;

  for (i = 0; i < k->depth; i++)
    {
      cleanup_free char *q = quote_key (k->table[i]);
      char *next;
      xasprintf (&next, "%s%s%s", out, i ? "." : "", q);
      free (out);
      out = next;
    }
  util_append (&out, "", "]");
  return out;
}

/* The value of a key line without its trailing comment and blanks.  */
static char *
line_value (const struct line *l)
{
  const char *end = l->start + l->len, *p;
  bool in = false;
  char quote = 0;

  for (p = l->value; p < end && *p != '\n'; p++)
    {
      if (in)
        {
          if (quote == '"' && *p == '\\')
            p++;
          else if (*p == quote)
            in = false;
          continue;
        }
      if (*p == '"' || *p == '\'')
        in = true, quote = *p;
      else if (*p == '#')
        break;
    }
  while (p > l->value && (p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\r'))
    p--;
  return xstrndup (l->value, p - l->value);
}

int
tomledit_get (const char *text, const struct tomledit_key *k, char **value, bool *has_table,
              struct error **err)
{
  struct scan s;
  long header, keyline;
  int ret = -1;

  *value = NULL;
  if (scan_text (text, &s, err) == 0 && locate (&s, k, &header, &keyline, err) == 0)
    {
      if (keyline >= 0)
        *value = line_value (&s.lines[keyline]);
      *has_table = header >= 0;
      ret = 0;
    }
  scan_release (&s);
  return ret;
}

char *
tomledit_top_value (const char *text, const char *key, struct error **err)
{
  struct scan s;
  char *value = NULL;
  size_t i;

  if (scan_text (text, &s, err) < 0)
    {
      scan_release (&s);
      return NULL;
    }
  for (i = 0; i < s.n && s.lines[i].kind != LINE_HEADER; i++)
    if (s.lines[i].kind == LINE_KEY && s.lines[i].depth == 1
        && strcmp (s.lines[i].path[0], key) == 0)
      value = line_value (&s.lines[i]);
  scan_release (&s);
  return value;
}

/* TEXT with line I replaced by INSERT (which may be empty), or with INSERT
   placed before line I when REPLACE is false.  */
static char *
splice (const char *text, const struct line *l, bool replace, const char *insert)
{
  size_t before = l->start - text;
  size_t after = before + (replace ? l->len : 0);
  char *out;

  xasprintf (&out, "%.*s%s%s", (int)before, text, insert, text + after);
  return out;
}

int
tomledit_set (const char *text, const struct tomledit_key *k, char **out, struct error **err)
{
  struct scan s;
  long header, keyline;
  cleanup_free char *line = NULL, *indent = NULL;
  int ret = -1;

  *out = NULL;
  if (scan_text (text, &s, err) < 0 || locate (&s, k, &header, &keyline, err) < 0)
    goto done;
  if (keyline >= 0)
    {
      const struct line *l = &s.lines[keyline];
      cleanup_free char *old = line_value (l);
      const char *p = l->start;

      ret = 0;
      if (strcmp (old, k->value) == 0)
        goto done;
      while (*p == ' ' || *p == '\t')
        p++;
      indent = xstrndup (l->start, p - l->start);
      if (l->len >= strlen (TOMLEDIT_MARK) + 1
          && strstr (l->start, TOMLEDIT_MARK "\n")
                 == l->start + l->len - strlen (TOMLEDIT_MARK) - 1)
        xasprintf (&line, "%s%s = %s  " TOMLEDIT_MARK "\n", indent, k->key, k->value);
      else
        xasprintf (&line, TOMLEDIT_SAVED "%.*s%s%s%s = %s  " TOMLEDIT_MARK "\n", (int)l->len,
                   l->start, l->start[l->len - 1] == '\n' ? "" : "\n", indent, k->key, k->value);
      *out = splice (text, l, true, line);
      goto done;
    }
  if (header >= 0)
    {
      const struct line *h = &s.lines[header];
      const char *p = h->start;
      cleanup_free char *key = quote_key (k->key);

      while (*p == ' ' || *p == '\t')
        p++;
      xasprintf (&line, "%s%.*s  %s = %s  " TOMLEDIT_MARK "\n",
                 h->start[h->len - 1] == '\n' ? "" : "\n", (int)(p - h->start), h->start, key,
                 k->value);
      if ((size_t)header + 1 < s.n)
        *out = splice (text, &s.lines[header + 1], false, line);
      else
        xasprintf (out, "%s%s", text, line);
      ret = 0;
      goto done;
    }
  {
    cleanup_free char *head = header_text (k), *key = quote_key (k->key);
    size_t len = strlen (text);
    xasprintf (out, "%s%s\n" TOMLEDIT_BEGIN "\n%s%s\n  %s = %s\n" TOMLEDIT_END "\n", text,
               len && text[len - 1] != '\n' ? "\n" : "", k->preamble ? k->preamble : "", head, key,
               k->value);
    ret = 0;
  }
done:
  scan_release (&s);
  return ret;
}

int
tomledit_revert (const char *text, char **out, struct error **err)
{
  const char *p = text;
  bool in_block = false, changed = false;
  char *result = xstrdup ("");
  size_t mark_len = strlen (TOMLEDIT_MARK);

  while (*p)
    {
      const char *nl = strchr (p, '\n');
      size_t len = nl ? (size_t)(nl - p + 1) : strlen (p);
      size_t body = nl ? len - 1 : len;
      const char *next = p + len;

      if (in_block)
        {
          if (body == strlen (TOMLEDIT_END) && strncmp (p, TOMLEDIT_END, body) == 0)
            in_block = false;
        }
      else if (body == strlen (TOMLEDIT_BEGIN) && strncmp (p, TOMLEDIT_BEGIN, body) == 0)
        {
          /* The blank line install put before the block goes with it.  */
          size_t rlen = strlen (result);
          if (rlen >= 2 && result[rlen - 1] == '\n' && result[rlen - 2] == '\n')
            result[rlen - 1] = '\0';
          in_block = changed = true;
        }
      else if (body >= mark_len && strncmp (p + body - mark_len, TOMLEDIT_MARK, mark_len) == 0)
        changed = true;
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
  if (!changed)
    {
      free (result);
      result = NULL;
    }
  *out = result;
  return 0;
}

/* One TOML string at *P (basic or literal, single-line), appended to ARR.  */
static int
parse_string (const char **p, const char *end, json_t *arr)
{
  char quote = **p;
  cleanup_free char *buf = xmalloc0 (end - *p + 1);
  size_t n = 0;
  const char *q = *p + 1;

  while (q < end && *q != quote && *q != '\n')
    {
      if (quote == '"' && *q == '\\')
        {
          if (++q >= end)
            return -1;
          switch (*q)
            {
            case 'n':
              buf[n++] = '\n';
              break;
            case 't':
              buf[n++] = '\t';
              break;
            case '"':
            case '\\':
              buf[n++] = *q;
              break;
            default:
              return -1; /* \u and the rest: not in a path list */
            }
          q++;
          continue;
        }
      buf[n++] = *q++;
    }
  if (q >= end || *q != quote)
    return -1;
  *p = q + 1;
  json_array_append_new (arr, json_stringn (buf, n));
  return 0;
}

int
tomledit_get_strings (const char *text, const struct tomledit_key *k, json_t **out,
                      struct error **err)
{
  struct scan s;
  long header, keyline;
  json_t *arr = NULL;
  const char *p, *end;
  bool want_value = true;
  int ret = -1;

  *out = NULL;
  if (scan_text (text, &s, err) < 0 || locate (&s, k, &header, &keyline, err) < 0)
    goto done;
  ret = 0;
  if (keyline < 0)
    goto done;
  p = s.lines[keyline].value;
  end = s.lines[keyline].value_end;
  arr = json_array ();
  if (p >= end || *p++ != '[')
    goto bad;
  for (;;)
    {
      while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
      if (p < end && *p == '#')
        {
          while (p < end && *p != '\n')
            p++;
          continue;
        }
      if (p >= end)
        goto bad;
      if (*p == ']')
        break;
      if (want_value && (*p == '"' || *p == '\''))
        {
          if (parse_string (&p, end, arr) < 0)
            goto bad;
          want_value = false;
        }
      else if (!want_value && *p == ',')
        {
          p++;
          want_value = true;
        }
      else
        goto bad;
    }
  *out = arr;
  arr = NULL;
  goto done;
bad:
  ret = make_error (err, 0, "line %ld: `%s` is not an array of strings", keyline + 1, k->key);
done:
  json_decref (arr);
  scan_release (&s);
  return ret;
}

int
tomledit_tables (const char *text, const char *const *prefix, size_t depth, json_t **names,
                 struct error **err)
{
  struct scan s;
  size_t i;

  *names = NULL;
  if (scan_text (text, &s, err) < 0)
    {
      scan_release (&s);
      return -1;
    }
  *names = json_array ();
  for (i = 0; i < s.n; i++)
    {
      const struct line *l = &s.lines[i];
      json_t *v;
      size_t j;
      bool seen = false;

      if (l->kind != LINE_HEADER || l->array || l->depth <= depth
          || !path_equal (l->path, depth, prefix, depth))
        continue;
      json_array_foreach (*names, j, v)
        seen = seen || strcmp (json_string_value (v), l->path[depth]) == 0;
      if (!seen)
        json_array_append_new (*names, json_string (l->path[depth]));
    }
  scan_release (&s);
  return 0;
}
