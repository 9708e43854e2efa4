/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "capset.h"
#include "jsontext.h"
#include "util.h"

static size_t
skip_ws (const char *t, size_t n, size_t i)
{
  while (i < n && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
    i++;
  return i;
}

static int
hexval (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static size_t
put_utf8 (char *out, unsigned long cp)
{
  if (cp < 0x80)
    return out[0] = cp, 1;
  if (cp < 0x800)
    return out[0] = 0xC0 | (cp >> 6), out[1] = 0x80 | (cp & 0x3F), 2;
  if (cp < 0x10000)
    return out[0] = 0xE0 | (cp >> 12), out[1] = 0x80 | ((cp >> 6) & 0x3F),
           out[2] = 0x80 | (cp & 0x3F), 3;
  out[0] = 0xF0 | (cp >> 18);
  out[1] = 0x80 | ((cp >> 12) & 0x3F);
  out[2] = 0x80 | ((cp >> 6) & 0x3F);
  out[3] = 0x80 | (cp & 0x3F);
  return 4;
}

static unsigned long
read_u4 (const char *t, size_t n, size_t i)
{
  unsigned long v = 0;
  size_t k;

  for (k = 0; k < 4; k++)
    {
      int h = i + k < n ? hexval (t[i + k]) : -1;
      if (h < 0)
        return 0;
      v = v * 16 + h;
    }
  return v;
}

/* T[I] is '"'.  Decodes the string into a fresh buffer (when OUT) and
   returns the index after the closing quote.  */
static size_t
scan_string (const char *t, size_t n, size_t i, char **out)
{
  cleanup_free char *buf = out ? xmalloc0 (n - i + 1) : NULL;
  size_t o = 0;

  for (i++; i < n && t[i] != '"'; i++)
    {
      char c = t[i];
      if (c != '\\')
        {
          if (buf)
            buf[o++] = c;
          continue;
        }
      if (++i >= n)
        break;
      switch (t[i])
        {
        case 'b':
          c = '\b';
          break;
        case 'f':
          c = '\f';
          break;
        case 'n':
          c = '\n';
          break;
        case 'r':
          c = '\r';
          break;
        case 't':
          c = '\t';
          break;
        case 'u':
          {
            unsigned long cp = read_u4 (t, n, i + 1);
            i += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && i + 6 < n && t[i + 1] == '\\' && t[i + 2] == 'u')
              {
                unsigned long lo = read_u4 (t, n, i + 3);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
              }
            if (buf)
              o += put_utf8 (buf + o, cp);
            continue;
          }
        default:
          c = t[i];
          break;
        }
      if (buf)
        buf[o++] = c;
    }
  if (out)
    *out = steal_pointer (&buf);
  return i < n ? i + 1 : n;
}

static size_t
skip_value (const char *t, size_t n, size_t i)
{
  int depth = 0;

  i = skip_ws (t, n, i);
  do
    {
      if (i >= n)
        return n;
      switch (t[i])
        {
        case '"':
          i = scan_string (t, n, i, NULL);
          break;
        case '{':
        case '[':
          depth++;
          i++;
          break;
        case '}':
        case ']':
          depth--;
          i++;
          break;
        default:
          i++;
          /* Numbers and literals: stop before the next delimiter at depth 0.  */
          while (depth == 0 && i < n && !strchr (",]} \t\r\n", t[i]))
            i++;
          break;
        }
      if (depth > 0)
        i = skip_ws (t, n, i);
    }
  while (depth > 0);
  return i;
}

long
jsontext_locate (const char *t, size_t n, const struct jsontext_step *path, size_t steps,
                 bool want_key)
{
  size_t i = skip_ws (t, n, 0), s;

  for (s = 0; s < steps; s++)
    {
      bool found = false;

      if (path[s].key)
        {
          if (i >= n || t[i] != '{')
            return -1;
          i = skip_ws (t, n, i + 1);
          while (i < n && t[i] == '"')
            {
              cleanup_free char *key = NULL;
              size_t key_at = i;

              i = skip_ws (t, n, scan_string (t, n, i, &key));
              if (i >= n || t[i] != ':')
                return -1;
              i = skip_ws (t, n, i + 1);
              if (strcmp (key, path[s].key) == 0)
                {
                  found = true;
                  if (want_key && s + 1 == steps)
                    return key_at;
                  break;
                }
              i = skip_ws (t, n, skip_value (t, n, i));
              if (i < n && t[i] == ',')
                i = skip_ws (t, n, i + 1);
            }
        }
      else
        {
          size_t k;

          if (i >= n || t[i] != '[')
            return -1;
          i = skip_ws (t, n, i + 1);
          for (k = 0; i < n && t[i] != ']'; k++)
            {
              if (k == path[s].index)
                {
                  found = true;
                  break;
                }
              i = skip_ws (t, n, skip_value (t, n, i));
              if (i < n && t[i] == ',')
                i = skip_ws (t, n, i + 1);
            }
        }
      if (!found)
        return -1;
    }
  return i;
}

int
jsontext_span (const char *text, size_t len, const struct jsontext_step *path, size_t n,
               size_t *start, size_t *end)
{
  long at = jsontext_locate (text, len, path, n, false);

  if (at < 0)
    return -1;
  *start = at;
  *end = skip_value (text, len, at);
  return 0;
}

void
jsontext_line_col (const char *text, size_t offset, int *line, int *col)
{
  size_t i;

  *line = 1;
  *col = 1;
  for (i = 0; i < offset && text[i]; i++)
    {
      if (text[i] == '\n')
        {
          (*line)++;
          *col = 1;
        }
      else
        (*col)++;
    }
}

void
jsontext_append_printf (json_t *array, const char *fmt, ...)
{
  cleanup_free char *text = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&text, fmt, ap) < 0)
    abort ();
  va_end (ap);
  json_array_append_new (array, json_string (text));
}

json_t *
jsontext_load_object (const char *buf, size_t len, const char *source, struct error **err)
{
  const char *nul = memchr (buf, '\0', len);
  json_error_t jerr;
  json_t *doc;

  if (len == 0)
    return make_error (err, 0, "%s: empty input", source), NULL;
  /* JSON has no place for a NUL byte, and Go's encoding/json refuses one;
     jansson skips it between tokens (found by the fuzzer), and everything
     that keeps the text as a C string would be cut there.  */
  if (nul)
    {
      int line, col;
      jsontext_line_col (buf, nul - buf, &line, &col);
      return make_error (err, 0, "%s:%d:%d: a NUL byte, which JSON does not allow", source, line,
                         col),
             NULL;
    }
  /* Duplicate keys are refused: Go's encoding/json (runc, CRI-O,
     containerd) lets the last one win, so a checker that reads the first
     one could be shown one set while the runtime applies another.  */
  doc = json_loadb (buf, len, JSON_REJECT_DUPLICATES, &jerr);
  if (doc == NULL && json_error_code (&jerr) == json_error_out_of_memory)
    return make_error (err, ENOMEM, "%s", source), NULL;
  if (doc == NULL && jerr.line < 0)
    return make_error (err, 0, "%s: %s", source,
                       *jerr.text ? jerr.text
                                  : "cannot be parsed (jansson gave no reason: out of memory?)"),
           NULL;
  if (doc == NULL)
    return make_error (err, 0, "%s:%d:%d: %s", source, jerr.line, jerr.column, jerr.text), NULL;
  if (!json_is_object (doc))
    {
      json_decref (doc);
      return make_error (err, 0, "%s:1:1: expected a JSON object at the top level", source), NULL;
    }
  return doc;
}

json_t *
jsontext_string_or_null (const char *s)
{
  return s ? json_string (s) : json_null ();
}

json_t *
jsontext_cap_names (uint64_t set)
{
  json_t *arr = json_array ();
  int cap;

  for (cap = 0; cap < CAPSET_MAX_BITS; cap++)
    if (capset_has (set, cap) && capset_name (cap))
      json_array_append_new (arr, json_string (capset_name (cap)));
  return arr;
}

bool
jsontext_go_fold_equal (const char *key, const char *field)
{
  const unsigned char *k = (const unsigned char *)key;

  for (; *field; field++)
    {
      char want = *field | 0x20, got;

      if (k[0] == 0xC5 && k[1] == 0xBF) /* U+017F LATIN SMALL LETTER LONG S */
        got = 's', k += 2;
      else if (k[0] == 0xE2 && k[1] == 0x84 && k[2] == 0xAA) /* U+212A KELVIN SIGN */
        got = 'k', k += 3;
      else if (*k && *k < 0x80)
        got = *k++ | 0x20;
      else
        return false;
      if (got != want)
        return false;
    }
  return *k == '\0';
}

int
jsontext_check_case_variants (json_t *obj, const char *const *fields, const char *where,
                              const char *reader, struct error **err)
{
  const char *key;
  json_t *v;

  json_object_foreach (obj, key, v)
    {
      size_t i;
      for (i = 0; fields[i]; i++)
        if (strcmp (key, fields[i]) != 0 && jsontext_go_fold_equal (key, fields[i]))
          return make_error (
              err, 0, "%skey `%s` would be read by %s as `%s`: refusing an ambiguous %s", where,
              key, reader, fields[i], strcmp (reader, "runc") == 0 ? "config" : "document");
    }
  return 0;
}
