/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_OBSERVE_ABI_H
#define CAPGUARD_OBSERVE_ABI_H

/* What the BPF side of `capguard observe` (src/bpf/observe.bpf.c) and
   its user side share: the maps' keys and values, sizes and counters.
   Plain fixed-width types only: both compilers lay them out alike.  */

/* Bounds: the maps never grow past these, whatever runs on the node;
   the user side drains `checks` at every flush.  */
#define OBSERVE_MAX_KEYS 16384
#define OBSERVE_MAX_CGROUPS 4096
#define OBSERVE_NAME_MAX 128
/* Kernel stack frames read to tell a no-audit check, and no-audit
   functions known.  */
#define OBSERVE_FRAMES 12
#define OBSERVE_RANGES 8

/* One capability check, aggregated: per cgroup (v2 id), capability,
   outcome and user-namespace level of the namespace checked against.  */
struct observe_key
{
  unsigned long long cgroup;
  unsigned int cap;
  unsigned char granted;
  unsigned char level; /* 0: the initial user namespace (a host capability) */
  unsigned char pad[2];
};

struct observe_value
{
  unsigned long long count;
  unsigned long long first_ns; /* CLOCK_MONOTONIC, of the first check */
};

/* The cgroup's own name (its last path component) and its parent's, read
   when the cgroup is first seen: a container may be gone by the flush.  */
struct observe_cgroup
{
  char name[OBSERVE_NAME_MAX];
  char parent[OBSERVE_NAME_MAX];
};

/* Where a task last exec'd: its cgroup then, and that cgroup's depth.  */
struct observe_exec
{
  unsigned long long cgroup;
  unsigned int level;
  unsigned int runtime; /* a runtime re-executing itself (runc's memfd copy) */
};

/* What was seen and not counted, and why (per-CPU counters).  */
enum observe_stat
{
  OBSERVE_STAT_COUNTED,  /* unused: the user side sums the counts */
  OBSERVE_STAT_NOAUDIT,  /* the kernel's own checks, made without auditing */
  OBSERVE_STAT_INIT,     /* the runtime's init, before the workload's execve: a task that
                            exec'd in a cgroup neither its current one nor an ancestor of it */
  OBSERVE_STAT_BORROWED, /* made on credentials other than the task's own */
  OBSERVE_STAT_FULL,     /* `checks` was full: lost */
  OBSERVE_STAT_COUNT
};

#endif
