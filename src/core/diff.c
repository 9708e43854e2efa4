/* SPDX-License-Identifier: GPL-2.0-or-later */
/* explain --diff: a unified diff by longest common subsequence.  */
#include <string.h>

#include "diff.h"
#include "util.h"

/* Lines of TEXT, split in place.  */
static size_t
split_lines (char *text, char ***lines)
{
  size_t n = 0, cap = 64;
  char *p = text;

  *lines = xmalloc0 (sizeof **lines * cap);
  while (*p)
    {
      char *nl = strchr (p, '\n');
      if (n + 1 >= cap)
        *lines = xrealloc (*lines, sizeof **lines * (cap *= 2));
      (*lines)[n++] = p;
      if (nl == NULL)
        break;
      *nl = '\0';
      p = nl + 1;
    }
  return n;
}

#define DIFF_CONTEXT 3

/* A hunk's range as diff -u writes it: the first line (1-based; for an
   empty range the line before it) and the count, left out when 1.  */
static void
print_range (FILE *out, char sign, size_t first, size_t count)
{
  if (count == 1)
    fprintf (out, "%c%zu", sign, first + 1);
  else
    fprintf (out, "%c%zu,%zu", sign, count ? first + 1 : first, count);
}

/* The edit script from A (N lines) to B (M lines) by their longest common
   subsequence: ' ' keep, '-' delete, '+' insert; *NOPS of them.  */
static char *
edit_script (char **a, size_t n, char **b, size_t m, size_t *nops)
{
  cleanup_free int *lcs = xmalloc0 (sizeof *lcs * (n + 1) * (m + 1));
  char *ops = xmalloc0 (n + m + 1);
  size_t i, j;

#define L(x, y) lcs[(x) * (m + 1) + (y)]
  for (i = n; i-- > 0;)
    for (j = m; j-- > 0;)
      L (i, j) = strcmp (a[i], b[j]) == 0      ? L (i + 1, j + 1) + 1
                 : L (i + 1, j) > L (i, j + 1) ? L (i + 1, j)
                                               : L (i, j + 1);
  *nops = 0;
  for (i = 0, j = 0; i < n || j < m;)
    {
      if (i < n && j < m && strcmp (a[i], b[j]) == 0)
        ops[(*nops)++] = ' ', i++, j++;
      else if (i < n && (j == m || L (i + 1, j) >= L (i, j + 1)))
        ops[(*nops)++] = '-', i++;
      else
        ops[(*nops)++] = '+', j++;
    }
#undef L
  return ops;
}

int
diff_unified (FILE *out, const char *name, char *a_text, char *b_text, struct error **err)
{
  cleanup_free char **a = NULL, **b = NULL;
  cleanup_free char *ops = NULL;
  size_t n = split_lines (a_text, &a), m = split_lines (b_text, &b), i, j, k, nops = 0;

  if (n > DIFF_MAX_LINES || m > DIFF_MAX_LINES)
    return make_error (err, 0, "the config is too long to diff (over %d lines)", DIFF_MAX_LINES);
  ops = edit_script (a, n, b, m, &nops);
  fprintf (out, "--- %s\n+++ %s (capguard)\n", name, name);
  for (k = 0, i = 0, j = 0; k < nops;)
    {
      size_t start, end, ai, bj, an = 0, bn = 0, t;

      if (ops[k] == ' ')
        {
          k++, i++, j++;
          continue;
        }
      /* A hunk: from DIFF_CONTEXT lines before this change to
         DIFF_CONTEXT after the last change closer than 2 contexts.  */
      start = k, ai = i, bj = j;
      for (t = 0; t < DIFF_CONTEXT && start > 0 && ops[start - 1] == ' '; t++)
        start--, ai--, bj--;
      end = k;
      for (;;)
        {
          size_t gap = 0;
          while (end < nops && ops[end] != ' ')
            end++;
          while (end + gap < nops && ops[end + gap] == ' ')
            gap++;
          if (end + gap >= nops || gap > 2 * DIFF_CONTEXT)
            {
              end += gap < DIFF_CONTEXT ? gap : DIFF_CONTEXT;
              break;
            }
          end += gap;
        }
      for (t = start; t < end; t++)
        {
          an += ops[t] != '+';
          bn += ops[t] != '-';
        }
      fputs ("@@ ", out);
      print_range (out, '-', ai, an);
      fputc (' ', out);
      print_range (out, '+', bj, bn);
      fputs (" @@\n", out);
      for (t = start; t < end; t++)
        {
          if (ops[t] == ' ')
            fprintf (out, " %s\n", a[ai++]), bj++;
          else if (ops[t] == '-')
            fprintf (out, "-%s\n", a[ai++]);
          else
            fprintf (out, "+%s\n", b[bj++]);
        }
      k = end, i = ai, j = bj;
    }
  return 0;
}
