/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_MODES_H
#define CAPGUARD_MODES_H

#include <stdbool.h>
#include <stdio.h>

#include "error.h"
#include "policy.h"

/* What each command does, apart from its command line (command.h).  Each
   returns a command_status: 0 conforming, rewritten or audited; 1 refused,
   with the reason in *err; -1 with *err set for bad input or an internal
   error; -2 for an invalid policy or option value.  */

/* OCI config on IN_FD; the conforming config, one JSON document, on OUT_FD.
   Nothing is written to OUT_FD unless the container may run.  */
int mode_precreate (const struct policy *policy, int in_fd, int out_fd, struct error **err);

/* The runtime wrapper.  ARGV is the runtime's command line (ARGV[0] its
   name).  Rewrites what create, run, exec and restore will read, then
   execs the real runtime (EXPLICIT, else $CAPGUARD_RUNTIME, else the
   policy's, else runc on PATH) with the same arguments.  For restore it
   runs the runtime as a child instead, judges the restored process live,
   and returns 0 with the runtime's exit status in *EXIT_STATUS.  Otherwise
   returns only on failure: 1 refused, -1 bad input, -2 usage error (exit
   2).  POLICY may be NULL for a command that is only passed through.  */
int mode_runtime (const struct policy *policy, const char *explicit_runtime, int argc, char **argv,
                  int *exit_status, struct error **err);
/* Whether ARGV is a command capguard rewrites (create, run, exec, restore), or one
   it cannot parse: those need the policy; the rest are passed through.  */
bool mode_runtime_needs_policy (int argc, char **argv);
/* Appends MSG to the runtime's --log file named in ARGV, if any.  */
void mode_runtime_log_failure (int argc, char **argv, const char *msg);

/* Explains what the rewrite step would decide for the config at PATH (a
   file, or a bundle directory), with ANNOTATIONS ("K=V") added, in words or
   as JSON, optionally with a unified diff.  Changes nothing.  */
int mode_explain (const struct policy *policy, const char *path, char *const *annotations,
                  size_t n_annotations, bool json, bool diff, FILE *out, struct error **err);

/* Prints the warnings (and notes) check gives POLICY; returns how many
   warnings.  */
int mode_check_warnings (const struct policy *policy, FILE *out);

/* Is this node protected: every engine found under ROOT ("" for /), every
   path that starts a process in a container, covered or not, and what
   closes each gap; the policy in force (POLICY, or NULL with LOAD_ERROR
   when POLICY_PATH did not load).  CONFIGS[i]: engines[i]'s file when not
   its own (NULL).  ONLY: 1 << i for each engines[i] asked for (0: every
   engine found).  Returns 0 when every path is covered (READY: when every
   gap left is one no registration closes), 1 when not, -1 on error.  */
int mode_status (const struct policy *policy, const char *policy_path, const char *load_error,
                 const char *root, const char *const *configs, unsigned only, bool ready, bool json,
                 FILE *out, struct error **err);

/* Reads decision logs (LOGS, or standard input when none; "-" is standard
   input too) and prints, per namespace, pod/container and image, the
   starts by decision, what was or would be removed, what enforce would
   refuse, and with SUGGEST the rules that would let those workloads keep
   what they asked for.  SINCE: an ISO date or time (UTC), or an age (12h).
   OBSERVED: files capguard observe wrote (every line must be one of its
   records): per workload what it held, used and tried, and with SUGGEST
   the rule allowing only what was used and the matching securityContext.
   Standard input is read for decisions only when no OBSERVED is given or
   LOGS names it.  Returns 0, -2 on a usage error, -1 on an error.  */
int mode_report (char *const *logs, size_t n_logs, char *const *observed, size_t n_observed,
                 const char *since, bool suggest, bool json, FILE *out, struct error **err);

/* Prints the validated policy's effective ceilings, per rule.  */
int mode_check (const struct policy *policy, FILE *out, struct error **err);

/* Prints CRI-O's crio.conf.d drop-in with default_capabilities set to the
   policy's top-level ceiling.  */
int mode_crio_conf (const struct policy *policy, FILE *out, struct error **err);

/* Prints capguard's version and its libraries'.  */
int mode_version (FILE *out, struct error **err);

/* capguard observe: attaches to the kernel's capability checks and, every
   INTERVAL seconds until SECONDS have passed (0: until SIGTERM or SIGINT),
   appends per container, capability and outcome what was used or refused
   to LOG (default: observed.log beside the decision log), with the identity
   the decision log DECISIONS (default: the policy's log.file) recorded for
   the container at create.  Returns 0, -1 with *err when the kernel or the
   process's privileges do not allow it, -2 for a bad option value.  */
int mode_observe (const struct policy *policy, double seconds, double interval, const char *log,
                  const char *decisions, struct error **err);

#endif
