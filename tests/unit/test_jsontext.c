/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "jsontext.h"
#include "tap.h"
#include "util.h"

static long
locate (const char *text, const struct jsontext_step *p, size_t n, bool key)
{
  return jsontext_locate (text, strlen (text), p, n, key);
}

static int
test_locate_nested (void)
{
  const char *t = "{ \"a\" : [ 1, {\"b\":\"x\"}, [2, 3] ],\n \"c\\\"d\": {\"e\": null} }";
  struct jsontext_step p1[] = { { "a", 0 }, { NULL, 1 }, { "b", 0 } };
  struct jsontext_step p2[] = { { "a", 0 }, { NULL, 2 }, { NULL, 1 } };
  struct jsontext_step p3[] = { { "c\"d", 0 }, { "e", 0 } };
  struct jsontext_step p4[] = { { "a", 0 }, { NULL, 5 } };
  struct jsontext_step p5[] = { { "zz", 0 } };
  int line, col;

  EXPECT (locate (t, p1, 3, false) == strstr (t, "\"x\"") - t);
  EXPECT (locate (t, p1, 3, true) == strstr (t, "\"b\"") - t);
  EXPECT (locate (t, p2, 3, false) == strstr (t, "3]") - t);
  EXPECT (locate (t, p3, 2, false) == strstr (t, "null") - t);
  EXPECT (locate (t, p4, 2, false) == -1);
  EXPECT (locate (t, p5, 1, false) == -1);
  EXPECT (locate (t, NULL, 0, false) == 0);
  jsontext_line_col (t, strstr (t, "null") - t, &line, &col);
  EXPECT (line == 2 && col == 16);
  return 0;
}

static int
test_locate_escaped_keys (void)
{
  const char *t = "{\"\\u00e9t\\u00e9\": 1, \"\\ud83d\\ude00\": 2, \"tab\\t\": 3}";
  struct jsontext_step p1[] = { { "\xc3\xa9t\xc3\xa9", 0 } };
  struct jsontext_step p2[] = { { "\xf0\x9f\x98\x80", 0 } };
  struct jsontext_step p3[] = { { "tab\t", 0 } };

  EXPECT (locate (t, p1, 1, false) == strstr (t, "1,") - t);
  EXPECT (locate (t, p2, 1, false) == strstr (t, "2,") - t);
  EXPECT (locate (t, p3, 1, false) == strstr (t, "3}") - t);
  return 0;
}

static int
test_load_object (void)
{
  struct error *err = NULL;
  json_t *doc = jsontext_load_object ("{\"a\":1,\"a\":2}", 13, "s", &err);

  EXPECT (doc == NULL && strstr (err->msg, "duplicate object key") != NULL);
  error_free (&err);
  doc = jsontext_load_object ("{\"a\":{}}", 8, "s", &err);
  EXPECT (doc != NULL);
  json_decref (doc);
  /* Not NUL-terminated at LEN: only LEN bytes are read.  */
  doc = jsontext_load_object ("{}garbage", 2, "s", &err);
  EXPECT (doc != NULL);
  json_decref (doc);
  return 0;
}

/* jsontext_span, the scanner precreate splices its output with: the exact
   bytes of the value at a path, through whatever the text holds on the
   way.  */
static int
test_span_table (void)
{
  static const struct
  {
    const char *text;
    struct jsontext_step path[3];
    size_t depth;
    const char *want; /* the value's text, or NULL: not there */
  } cases[] = {
    { "{\"a\":1}", { { "a", 0 } }, 1, "1" },
    { "{ \"a\" :\t-1.5e+3 , \"b\":2}", { { "a", 0 } }, 1, "-1.5e+3" },
    { "{\"a\":\"x\\\"}{[\\\\\",\"b\":true}", { { "b", 0 } }, 1, "true" },
    { "{\"a\":\"x\\\"}{[\\\\\",\"b\":true}", { { "a", 0 } }, 1, "\"x\\\"}{[\\\\\"" },
    { "{\"p\":{\"capabilities\":{\"bounding\":[\"A\",\"B\"]},\"x\":null}}",
      { { "p", 0 }, { "capabilities", 0 } },
      2,
      "{\"bounding\":[\"A\",\"B\"]}" },
    { "{\"p\":{\"capabilities\":{\"bounding\":[\"A\",\"B\"]}}}",
      { { "p", 0 }, { "capabilities", 0 }, { "bounding", 0 } },
      3,
      "[\"A\",\"B\"]" },
    /* A key of the same name deeper down is not the one asked for.  */
    { "{\"x\":{\"a\":1},\"a\":[ ]}", { { "a", 0 } }, 1, "[ ]" },
    { "{\"l\":[0,{\"k\":[1,[2,3]]},\"s\"]}",
      { { "l", 0 }, { NULL, 1 }, { "k", 0 } },
      3,
      "[1,[2,3]]" },
    { "{\"l\":[0,{\"k\":[1,[2,3]]},\"s\"]}", { { "l", 0 }, { NULL, 2 } }, 2, "\"s\"" },
    { "{\"l\":[0,1]}", { { "l", 0 }, { NULL, 2 } }, 2, NULL },
    { "{\"\\u0061\":false}", { { "a", 0 } }, 1, "false" },
    { "{\"a\":1}", { { "b", 0 } }, 1, NULL },
    { "{\"a\":{}}", { { "a", 0 }, { "b", 0 } }, 2, NULL },
    { "{\"a\":5}", { { "a", 0 }, { "b", 0 } }, 2, NULL },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      size_t start = 0, end = 0;
      int r = jsontext_span (cases[i].text, strlen (cases[i].text), cases[i].path, cases[i].depth,
                             &start, &end);
      if (cases[i].want == NULL)
        {
          if (r >= 0)
            fprintf (stderr, "# case %zu: found\n", i);
          EXPECT (r < 0);
          continue;
        }
      if (r < 0 || end - start != strlen (cases[i].want)
          || memcmp (cases[i].text + start, cases[i].want, end - start) != 0)
        fprintf (stderr, "# case %zu: got `%.*s`\n", i, r < 0 ? 0 : (int)(end - start),
                 cases[i].text + start);
      EXPECT (r >= 0 && end - start == strlen (cases[i].want));
      EXPECT (memcmp (cases[i].text + start, cases[i].want, end - start) == 0);
    }
  return 0;
}

/* A NUL byte anywhere is refused, with where it is.  */
static int
test_nul_refused (void)
{
  static const char text[] = "{\"a\":\n true\0}";
  cleanup_error struct error *err = NULL;
  json_t *doc = jsontext_load_object (text, sizeof text - 1, "t", &err);

  EXPECT (doc == NULL);
  EXPECT_STR (err->msg, "t:2:6: a NUL byte, which JSON does not allow");
  return 0;
}

TAP_MAIN (T (test_nul_refused), T (test_span_table), T (test_locate_nested),
          T (test_locate_escaped_keys), T (test_load_object))
