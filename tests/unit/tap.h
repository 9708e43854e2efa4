/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny TAP runner, after crun's tests: each test returns 0 (pass), -1
   (fail) or 77 (skip); main prints one TAP line each and fails the binary
   on any failure.  */
#ifndef CAPGUARD_TAP_H
#define CAPGUARD_TAP_H

#include <stdio.h>
#include <string.h>

struct tap_test
{
  const char *name;
  int (*fn) (void);
};

#define EXPECT(cond)                                                                               \
  do                                                                                               \
    {                                                                                              \
      if (!(cond))                                                                                 \
        {                                                                                          \
          fprintf (stderr, "# %s:%d: expected %s\n", __FILE__, __LINE__, #cond);                   \
          return -1;                                                                               \
        }                                                                                          \
    }                                                                                              \
  while (0)

#define EXPECT_STR(a, b)                                                                           \
  do                                                                                               \
    {                                                                                              \
      const char *a_ = (a), *b_ = (b);                                                             \
      if (a_ == NULL || b_ == NULL || strcmp (a_, b_) != 0)                                        \
        {                                                                                          \
          fprintf (stderr, "# %s:%d: expected `%s`, got `%s`\n", __FILE__, __LINE__,               \
                   b_ ? b_ : "(null)", a_ ? a_ : "(null)");                                        \
          return -1;                                                                               \
        }                                                                                          \
    }                                                                                              \
  while (0)

static inline int
tap_run (const struct tap_test *tests, size_t n)
{
  size_t i;
  int failed = 0;

  printf ("1..%zu\n", n);
  for (i = 0; i < n; i++)
    {
      int r = tests[i].fn ();
      if (r == 77)
        printf ("ok %zu - %s # SKIP\n", i + 1, tests[i].name);
      else if (r == 0)
        printf ("ok %zu - %s\n", i + 1, tests[i].name);
      else
        {
          printf ("not ok %zu - %s\n", i + 1, tests[i].name);
          failed++;
        }
    }
  return failed ? 1 : 0;
}

#define TAP_MAIN(...)                                                                              \
  int main (void)                                                                                  \
  {                                                                                                \
    static const struct tap_test tests[] = { __VA_ARGS__ };                                        \
    return tap_run (tests, sizeof tests / sizeof tests[0]);                                        \
  }
#define T(fn)                                                                                      \
  {                                                                                                \
#fn, fn                                                                                        \
  }

#endif
