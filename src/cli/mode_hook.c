/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "enforce.h"
#include "log.h"
#include "modes.h"
#include "oci.h"
#include "proc.h"
#include "report.h"
#include "util.h"

/* The OCI hook stages (runtime-spec config.md#posix-platform-hooks).  A
   hook in these stages runs after the runtime has read config.json, so it
   can check and refuse but never rewrite (SPEC §2).  */
enum stage
{
  STAGE_CREATE_RUNTIME,
  STAGE_PRESTART,
  STAGE_POSTSTART,
};

static int
parse_stage (const char *name, enum stage *stage)
{
  if (strcmp (name, "createRuntime") == 0)
    *stage = STAGE_CREATE_RUNTIME;
  else if (strcmp (name, "prestart") == 0)
    *stage = STAGE_PRESTART;
  else if (strcmp (name, "poststart") == 0)
    *stage = STAGE_POSTSTART;
  else
    return -1;
  return 0;
}

static int
fail_logged (const struct policy *policy, const char *stage, const char *id, struct error **err)
{
  report_failure (&(struct report_at){ policy, "hook", stage, id }, error_msg (*err));
  if (id)
    error_wrap (err, "container %s", id);
  return -1;
}

/* OCI state on IN_FD; checks <bundle>/config.json at STAGE createRuntime
   or prestart, or at poststart the live sets of the state's pid, killing it
   on a violation.  */
static int
hook (const struct policy *policy, enum stage stage, const char *stage_name, int in_fd,
      struct error **err)
{
  cleanup_free char *state_buf = NULL, *config_buf = NULL;
  struct oci_facts facts = { 0 };
  struct oci_state state;
  struct decision d = { 0 };
  json_auto_t *state_doc = NULL, *config = NULL, *merged = NULL;
  size_t state_len, config_len;
  bool gone = false;
  int ret = -1;

  if (util_read_fd (in_fd, CAPGUARD_MAX_STATE, "state on stdin", &state_buf, &state_len, err) < 0)
    return fail_logged (policy, stage_name, NULL, err);
  state_doc = oci_state_parse (state_buf, state_len, "<stdin>", &state, err);
  if (state_doc == NULL)
    return fail_logged (policy, stage_name, NULL, err);
  if (stage == STAGE_POSTSTART && state.pid == 0)
    {
      make_error (err, 0, "<stdin>: the state has no `pid` to check");
      return fail_logged (policy, stage_name, state.id, err);
    }

  if (oci_bundle_read_config (state.bundle, &config_buf, &config_len, err) < 0)
    return fail_logged (policy, stage_name, state.id, err);
  config = oci_config_parse (config_buf, config_len, "config.json", err);
  if (config == NULL)
    return fail_logged (policy, stage_name, state.id, err);
  if (oci_config_facts (config, policy->last_cap, &facts, err) < 0)
    {
      error_wrap (err, "config.json");
      goto fail;
    }
  /* CRI-O merges the sandbox's annotations into the state's.  */
  if (oci_facts_add_annotations (&facts, state.annotations, "in the state", &merged, err) < 0)
    goto fail;

  if (stage == STAGE_POSTSTART
      && proc_judge_live (policy, state.pid, ENFORCE_CHECK_ONLY,
                          "killed the container's init (SIGKILL)", &facts, &d, &gone, NULL, err)
             < 0)
    goto fail;
  if (stage != STAGE_POSTSTART || gone)
    {
      /* A container's init that exited before we looked holds nothing.  */
      if (gone)
        memset (facts.sets, 0, sizeof facts.sets);
      enforce_decide (policy, &facts, ENFORCE_CHECK_ONLY, &d);
      if (gone)
        json_array_append_new (d.reasons, json_string ("the process had already exited"));
    }

  if ((ret = report_outcome (&(struct report_at){ policy, "hook", stage_name, state.id }, &d,
                             &facts, err))
      == 1)
    error_wrap (err, "container %s", state.id);
  goto done;

fail:
  fail_logged (policy, stage_name, state.id, err);
done:
  decision_release (&d);
  oci_facts_release (&facts);
  return ret;
}

int
command_hook (struct command_ctx *ctx, struct error **err)
{
  const char *stage_name = ctx->argc > 1 ? ctx->argv[1] : "createRuntime";
  const struct policy *policy;
  enum stage stage;

  if (ctx->argc > 2)
    return command_usage (err, "hook takes one stage, got `%s` too", ctx->argv[2]);
  if (parse_stage (stage_name, &stage) < 0)
    return command_usage (err, "unknown hook stage `%s` (createRuntime, prestart or poststart)",
                          stage_name);
  if ((policy = command_policy (ctx, NULL, err)) == NULL)
    return COMMAND_INVALID;
  return hook (policy, stage, stage_name, STDIN_FILENO, err);
}
