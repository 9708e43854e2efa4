/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "command.h"
#include "report.h"
#include "util.h"

int
command_usagev (struct error **err, const char *fmt, va_list ap)
{
  cleanup_free char *msg = NULL;

  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  make_error (err, 0, "%s", msg);
  return COMMAND_USAGE;
}

int
command_usage (struct error **err, const char *fmt, ...)
{
  va_list ap;
  int r;

  va_start (ap, fmt);
  r = command_usagev (err, fmt, ap);
  va_end (ap);
  return r;
}

int
command_getopt (struct command_ctx *ctx, const struct option *options, struct error **err)
{
  int c;

  /* `:` first: a missing argument is told apart from an unknown option,
     and getopt prints nothing: the messages are ours.  */
  opterr = 0;
  c = getopt_long (ctx->argc, ctx->argv, ":", options, NULL);
  if (c == ':')
    return command_usage (err, "option `%s` needs an argument", ctx->argv[optind - 1]);
  if (c == '?')
    return command_usage (err, "unknown %s option `%s`", ctx->name, ctx->argv[optind - 1]);
  return c;
}

/* Not freed: the process exits right after its command, and the kernel
   reclaims the policy at once.  Kept here so that leak checkers see it
   reachable; volatile, so that the compiler keeps the store.  */
static struct policy *volatile kept_policy;

struct policy *
command_keep_policy (struct policy *policy)
{
  kept_policy = policy;
  return policy;
}

struct policy *
command_policy (struct command_ctx *ctx, const char *path, struct error **err)
{
  bool hot = ctx->flags & COMMAND_HOT;
  struct policy *policy = policy_load (path ? path : ctx->policy_path, util_cap_last_cap (),
                                       hot ? POLICY_HOT : 0, err);

  /* On the container-start path a policy that does not load stops the
     container: the decision log says so too.  */
  if (policy == NULL && hot)
    report_failure (&(struct report_at){ NULL, ctx->name, ctx->name, NULL }, error_msg (*err));
  return command_keep_policy (policy);
}
