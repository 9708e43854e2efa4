/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_COMMAND_H
#define CAPGUARD_COMMAND_H

/* The commands, after crun's: main.c holds the table and dispatches; each
   command parses its own options in its own file (command_NAME) and
   returns a command_status, which main maps to the exit code in one
   place.  */

#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>

#include "error.h"
#include "policy.h"

enum command_status
{
  COMMAND_OK = 0,       /* exit 0: conforming, rewritten, audited, done */
  COMMAND_REFUSED = 1,  /* exit 1: refused by the policy (status: a gap); *err says why, if set */
  COMMAND_FAILED = -1,  /* exit 3: bad input or an internal error */
  COMMAND_INVALID = -2, /* exit 2: an invalid or unsafe policy, a bad option value */
  COMMAND_USAGE = -3,   /* exit 2: the command line itself; printed without the command's name */
};

/* What a command needs from main, in the table.  */
enum
{
  COMMAND_HOT = 1 << 0, /* on the container-start path: policy_load's POLICY_HOT, failures logged */
  COMMAND_STDIN = 1 << 1,  /* reads standard input: refused when it was closed */
  COMMAND_STDOUT = 1 << 2, /* writes its result to standard output: the same */
};

struct command_ctx
{
  const char *name; /* the command, as typed */
  unsigned flags;   /* its COMMAND_* flags */
  int argc;         /* its arguments: argv[0] is the command */
  char **argv;
  const char *policy_path; /* --policy, else $CAPGUARD_POLICY, else NULL: the default */
  int exit_status;         /* with COMMAND_OK: the exit code (the runtime's, after a restore) */
};

/* The next of the command's options (getopt_long over its argv, so options
   may follow its arguments; OPTIONS has no short forms): the option's
   `val`, -1 after the last (ctx->argv[optind] is the first argument), or
   COMMAND_USAGE with *err set.  */
int command_getopt (struct command_ctx *ctx, const struct option *options, struct error **err);

/* --root ROOT without trailing slashes in *OUT ("" for /); COMMAND_USAGE
   when it is not absolute.  */
int command_root (const char *root, char **out, struct error **err);

/* Sets *err and returns COMMAND_USAGE.  */
int command_usage (struct error **err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));
int command_usagev (struct error **err, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 2, 0)));

/* The policy for the command: PATH, else ctx->policy_path, else the default.
   For a COMMAND_HOT command a policy that does not load is logged as the
   command's failure.  The policy stays reachable until exit.  NULL with
   *err set when it does not load (COMMAND_INVALID).  */
struct policy *command_policy (struct command_ctx *ctx, const char *path, struct error **err);

/* Keeps POLICY (which may be NULL) reachable until exit; returns it.  */
struct policy *command_keep_policy (struct policy *policy);

int command_precreate (struct command_ctx *ctx, struct error **err);
int command_hook (struct command_ctx *ctx, struct error **err);
int command_runtime (struct command_ctx *ctx, struct error **err);
int command_explain (struct command_ctx *ctx, struct error **err);
int command_install (struct command_ctx *ctx, struct error **err); /* and uninstall */
int command_check (struct command_ctx *ctx, struct error **err);
int command_observe (struct command_ctx *ctx, struct error **err);
int command_crio_conf (struct command_ctx *ctx, struct error **err);
int command_report (struct command_ctx *ctx, struct error **err);
int command_status (struct command_ctx *ctx, struct error **err);
int command_version (struct command_ctx *ctx, struct error **err);

/* The runtime wrapper with the runtime's own command line (ARGV[0] its
   name), for `capguard runtime` and a link named capguard-runtime: RUNTIME
   is --runtime's.  Exits with the runtime's status when it runs it;
   returns only on failure.  */
int command_run_wrapper (struct command_ctx *ctx, const char *runtime, int argc, char **argv,
                         struct error **err);

#endif
