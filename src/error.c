/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"
#include "util.h"

int
make_error (struct error **err, int status, const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);

  if (*err)
    error_free (err);
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
