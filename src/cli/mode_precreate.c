/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "enforce.h"
#include "modes.h"
#include "oci.h"
#include "report.h"
#include "util.h"

static int
log_failure (const struct policy *policy, struct error **err)
{
  report_failure (&(struct report_at){ policy, "precreate", "precreate", NULL }, error_msg (*err));
  return -1;
}

/* precreate runs on every container start and exits right after: the
   config, its text and the output are left to the kernel to reclaim
   instead of being freed piece by piece.  Kept reachable from here, so
   LeakSanitizer and valgrind count them as reachable, not lost.  */
static struct
{
  /* volatile: the compiler may not drop stores no code reads back.  */
  char *volatile buf;
  char *volatile out;
  json_t *volatile config;
} kept;

int
mode_precreate (const struct policy *policy, int in_fd, int out_fd, struct error **err)
{
  char *buf = NULL, *out = NULL;
  struct oci_facts facts = { 0 };
  struct decision d = { 0 };
  json_t *config = NULL;
  size_t len, out_len;
  int ret = -1;

  if (util_read_fd (in_fd, CAPGUARD_MAX_CONFIG, "config on stdin", &buf, &len, err) < 0)
    return log_failure (policy, err);
  kept.buf = buf;
  config = kept.config = oci_config_parse (buf, len, "<stdin>", err);
  if (config == NULL)
    return log_failure (policy, err);
  if (enforce_rewrite_text (policy, buf, len, config, &facts, &d, &out, &out_len, err) < 0)
    {
      error_wrap (err, "<stdin>");
      goto fail;
    }

  if (d.outcome != ENFORCE_REFUSED)
    {
      kept.out = out;
      if (out == NULL)
        {
          /* A config we did not change goes out byte for byte as it came in.  */
          out = buf;
          out_len = len;
        }
      if (util_write_all (out_fd, out, out_len, err) < 0)
        {
          error_wrap (err, "stdout");
          goto fail;
        }
    }

  /* Logged once the outcome is final: a config that could not be written
     out is a failure, not a rewrite.  */
  ret = report_outcome (&(struct report_at){ policy, "precreate", "precreate", NULL }, &d, &facts,
                        err);
  goto done;

fail:
  log_failure (policy, err);
done:
  decision_release (&d);
  oci_facts_release (&facts);
  return ret;
}

int
command_precreate (struct command_ctx *ctx, struct error **err)
{
  const struct policy *policy;

  if (ctx->argc > 1)
    return command_usage (err, "precreate takes no arguments, got `%s`", ctx->argv[1]);
  if ((policy = command_policy (ctx, NULL, err)) == NULL)
    return COMMAND_INVALID;
  return mode_precreate (policy, STDIN_FILENO, STDOUT_FILENO, err);
}
