/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_ERROR_H
#define CAPGUARD_ERROR_H

/* The one error type.  A failing function returns < 0 (or NULL) and fills *err
   (every failing path: callers print and log (*err)->msg); on success *err is
   left untouched.  Only main.c prints errors.  */
struct error
{
  int status; /* errno, or 0 */
  char *msg;
};

/* Sets *ERR, which must not be set already (wrap or free it first), to the
   formatted message, followed by ": " and strerror (STATUS) when STATUS, an
   errno value, is not 0: messages never format strerror themselves.
   Returns -1.  */
int make_error (struct error **err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Prefixes "CONTEXT: " to the message of *err.  Returns -1.  */
int error_wrap (struct error **err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void error_free (struct error **err);

#define cleanup_error __attribute__ ((cleanup (error_free)))

/* ERR's message, for printing and logging; a failure that set none (a bug)
   still says something.  */
static inline const char *
error_msg (const struct error *err)
{
  return err && err->msg ? err->msg : "internal error: failed without a reason";
}

#endif
