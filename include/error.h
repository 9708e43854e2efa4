/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_ERROR_H
#define CAPGUARD_ERROR_H

/* The one error type.  A failing function returns < 0 (or NULL) and fills *err;
   on success *err is left untouched.  Only main.c prints errors.  */
struct error
{
  int status; /* errno, or 0 */
  char *msg;
};

int make_error (struct error **err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Prefixes "CONTEXT: " to the message of *err.  Returns -1.  */
int error_wrap (struct error **err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
void error_free (struct error **err);

#define cleanup_error __attribute__ ((cleanup (error_free)))

#endif
