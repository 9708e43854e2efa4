/* SPDX-License-Identifier: GPL-2.0-or-later */
/* explain --diff's unified diff, against what GNU diff -u prints for the
   same texts (captured with `diff -u --label n --label "n (capguard)"`).  */
#include <stdlib.h>

#include "diff.h"
#include "tap.h"
#include "util.h"

/* The diff of A and B, as printed.  */
static char *
diff_of (const char *a, const char *b, int *ret)
{
  cleanup_free char *ca = xstrdup (a), *cb = xstrdup (b);
  cleanup_error struct error *err = NULL;
  char *text = NULL;
  size_t len;
  FILE *f = open_memstream (&text, &len);

  if (f == NULL)
    abort ();
  *ret = diff_unified (f, "n", ca, cb, &err);
  fclose (f);
  return text;
}

static int
test_against_gnu_diff (void)
{
  static const struct
  {
    const char *a, *b, *want;
  } cases[] = {
    /* The same: the header alone.  */
    { "1\n2\n", "1\n2\n", "--- n\n+++ n (capguard)\n" },
    /* One line in the middle, three lines of context.  */
    { "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n",
      "--- n\n+++ n (capguard)\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n" },
    /* Changes 14 lines apart: two hunks.  */
    { "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n",
      "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\nseventeen\n18\n19\n20\n",
      "--- n\n+++ n (capguard)\n@@ -1,6 +1,6 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n"
      "@@ -14,7 +14,7 @@\n 14\n 15\n 16\n-17\n+seventeen\n 18\n 19\n 20\n" },
    /* Changes 6 lines apart: one hunk.  */
    { "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n",
      "1\n2\nthree\n4\n5\n6\n7\n8\nnine\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n",
      "--- n\n+++ n (capguard)\n@@ -1,12 +1,12 @@\n 1\n 2\n-3\n+three\n 4\n 5\n 6\n 7\n 8\n"
      "-9\n+nine\n 10\n 11\n 12\n" },
    /* From nothing.  */
    { "", "x\n", "--- n\n+++ n (capguard)\n@@ -0,0 +1 @@\n+x\n" },
    /* A line added first, one removed last.  */
    { "1\n2\n3\n4\n5\n", "new\n1\n2\n3\n4\n5\n",
      "--- n\n+++ n (capguard)\n@@ -1,3 +1,4 @@\n+new\n 1\n 2\n 3\n" },
    { "1\n2\n3\n4\n5\n", "1\n2\n3\n4\n",
      "--- n\n+++ n (capguard)\n@@ -2,4 +2,3 @@\n 2\n 3\n 4\n-5\n" },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      int ret;
      cleanup_free char *got = diff_of (cases[i].a, cases[i].b, &ret);
      EXPECT (ret == 0);
      if (strcmp (got, cases[i].want) != 0)
        fprintf (stderr, "# case %zu\n", i);
      EXPECT_STR (got, cases[i].want);
    }
  return 0;
}

static int
test_too_long (void)
{
  cleanup_free char *big = NULL, *got = NULL;
  size_t i;
  int ret;

  big = xmalloc0 (2 * (DIFF_MAX_LINES + 1) + 1);
  for (i = 0; i < DIFF_MAX_LINES + 1; i++)
    memcpy (big + 2 * i, "x\n", 2);
  got = diff_of (big, "x\n", &ret);
  EXPECT (ret < 0 && got && strstr (got, "@@") == NULL);
  return 0;
}

TAP_MAIN (T (test_against_gnu_diff), T (test_too_long))
