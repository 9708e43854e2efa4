/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_PROC_H
#define CAPGUARD_PROC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "capset.h"
#include "enforce.h"
#include "error.h"
#include "oci.h"
#include "policy.h"

/* What the kernel holds for a running process.  */
struct proc_live
{
  uint64_t sets[CAPSET_COUNT];
  bool no_new_privs;
  int seccomp_mode; /* 0 off, 1 strict, 2 filter */
};

/* A process pinned by a pidfd, so that a pid reused after the container's
   init exited is never read or signalled in its place.  */
struct proc_handle
{
  pid_t pid;
  int pidfd;
};

/* Returns 0, or -1 with *err set; *gone is set when the process no longer
   exists (not an error).  */
int proc_open (pid_t pid, struct proc_handle *h, bool *gone, struct error **err);
void proc_close (struct proc_handle *h);

/* Effective, permitted and inheritable from libcap (capget), bounding,
   ambient, NoNewPrivs and Seccomp from /proc/PID/status, then checks that
   the pidfd still names a live process, so the sets are that process's.  */
int proc_read_live (const struct proc_handle *h, struct proc_live *live, struct error **err);

/* SIGKILL through the pidfd.  */
int proc_kill (const struct proc_handle *h, struct error **err);

/* Parses the Cap*, NoNewPrivs and Seccomp lines of a /proc/PID/status text
   into LIVE (all five sets).  */
int proc_parse_status (const char *text, struct proc_live *live, struct error **err);

/* What the kernel holds replaces what a config said: the live sets, no_new_privs
   and whether a seccomp filter is on.  */
void proc_facts_from_live (struct oci_facts *facts, const struct proc_live *live);

/* Judges the running process PID under POLICY at STAGE: FACTS (from its
   config) take what the kernel holds, D is the decision, and a refused
   process is killed through a pidfd, KILLED (a sentence) then added to D's
   reasons and *REFUSED (when not NULL) set.  *GONE when it had exited: D
   is then not made.  A process that cannot be read is killed (fail
   closed) and -1 returned with *ERR.  The one judge of a live process:
   the poststart hook and the wrapper after restore.  */
int proc_judge_live (const struct policy *policy, pid_t pid, enum enforce_stage stage,
                     const char *killed, struct oci_facts *facts, struct decision *d, bool *gone,
                     bool *refused, struct error **err);

#endif
