/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_OBSERVE_H
#define CAPGUARD_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

/* capguard observe, apart from the kernel: where to attach, whose cgroup
   a check came from, and the records it writes (which report reads).  */

/* What the running kernel offers, from its BTF.  */
struct observe_kernel
{
  bool btf;           /* /sys/kernel/btf/vmlinux */
  bool tracepoint;    /* btf_trace_cap_capable: the capability:cap_capable tracepoint */
  bool cap_capable;   /* the function cap_capable, for fexit */
  bool fexit_allowed; /* the kernel attaches tracing programs (fexit) */
  bool kallsyms;      /* /proc/kallsyms gives addresses (the no-audit functions') */
};

enum observe_attach
{
  OBSERVE_ATTACH_NONE,
  OBSERVE_ATTACH_TRACEPOINT, /* tp_btf/cap_capable: no-audit told by the kernel stack */
  OBSERVE_ATTACH_FEXIT,      /* fexit/cap_capable: no-audit read from its `opts` */
};

/* Where to attach on kernel K, or NONE with *WHY saying in one line what
   is missing.  The tracepoint first (recent kernels have it): it needs the
   no-audit functions' addresses; else fexit on cap_capable.  */
enum observe_attach observe_choose_attach (const struct observe_kernel *k, const char **why);
const char *observe_attach_name (enum observe_attach a);

/* The kernel functions whose capability checks are made without
   auditing, and so are not use (the tracepoint's path tells them by the
   kernel stack).  NULL-terminated.  */
extern const char *const observe_noaudit_functions[];

/* The container a cgroup belongs to, from its name and its parent's, by
   the conventions of the engines under the cgroupfs and systemd drivers:
   libpod-ID[.scope] (podman), cri-containerd-ID.scope and ID under
   pod... or kubepods (containerd's CRI), crio-ID[.scope] (CRI-O),
   docker-ID.scope and ID under docker (Docker), and ID anywhere else
   (containerd, runc).  ID is 64 hex digits.  Returns false for anything
   else (a host process, conmon, a slice), ID[65] filled otherwise and
   *ENGINE the engine guessed ("unknown" when only the id says).  */
bool observe_container_of (const char *name, const char *parent, char id[65], const char **engine);

/* One observation record (a line of --log): per container, capability,
   outcome and namespace level, the checks counted from SINCE to UNTIL
   (UTC, as the decision log writes times).  */
struct observe_count
{
  const char *id, *engine;
  const json_t
      *identity; /* namespace, pod, container, image, held: from the decision log, or NULL */
  int cap;
  bool granted;
  bool in_userns;
  unsigned long long count;
  const char *first, *last, *since, *until;
};
json_t *observe_record (const struct observe_count *c);

/* Checks a record read back (report): its kind, types and names.  Fails
   with *ERR naming what is wrong.  */
int observe_record_check (const json_t *rec, struct error **err);

#endif
