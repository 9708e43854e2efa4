/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "util.h"

int
make_error (struct error **err, int status, const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL, *full;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  /* The errno text, here and only here: messages never format it.  */
  if (status != 0)
    {
      if (asprintf (&full, "%s: %s", msg, strerror (status)) < 0)
        abort ();
      free (msg);
      msg = full;
    }

  if (*err)
    {
      /* A caller that meets an error already set wraps it (error_wrap) or
         frees it first: replacing it would lose the first cause.  The
         debug builds (the sanitizer tests) stop here; a release keeps
         both.  */
#ifndef NDEBUG
      fprintf (stderr, "capguard: internal error: `%s` set over `%s`\n", msg, (*err)->msg);
      abort ();
#endif
      if (asprintf (&full, "%s (after: %s)", msg, (*err)->msg) < 0)
        abort ();
      free (msg);
      msg = full;
      error_free (err);
    }
  *err = xmalloc0 (sizeof **err);
  (*err)->status = status;
  (*err)->msg = msg;
  return -1;
}

int
error_wrap (struct error **err, const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *ctx = NULL;
  char *msg = NULL;

  if (*err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    abort ();
  va_end (ap);
  if (asprintf (&msg, "%s: %s", ctx, (*err)->msg) < 0)
    abort ();
  free ((*err)->msg);
  (*err)->msg = msg;
  return -1;
}

void
error_free (struct error **err)
{
  if (*err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
