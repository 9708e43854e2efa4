/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capguard observe, the kernel side: every capability check the kernel
   makes (the capability:cap_capable tracepoint), aggregated per cgroup,
   capability, outcome and user-namespace level in `checks`; what is not
   use is counted in `stats` and dropped:

   - checks on borrowed credentials (the cred checked is not the task's
     real one: overlayfs copy-up, a file opener's credentials);
   - the runtime's own init before the workload's execve: a task whose
     last execve was in another cgroup (the runtime execs its init outside
     the container, then moves it in) that is not an ancestor of its
     current one (a container's systemd moving its services below its own
     cgroup); the root cgroup is no one's ancestor here, since runtimes
     run in it on some nodes.  A runtime's init that re-executes itself
     once inside (runc 1.1 runs its memfd copy: /proc/self/..., /dev/fd/N)
     stays the runtime's.  A task that exec'd before observe started has
     no record and counts;
   - the kernel's no-audit checks (CAP_SYS_ADMIN in vm_enough_memory on
     every mmap and fork, CAP_SYS_PTRACE when /proc is read), told by a
     no-audit function among the first frames of the kernel stack; the
     user side fills in their address ranges before loading.

   The stack is read only for a check not yet known to be audited in its
   (cgroup, capability, outcome) key: once a key has an audited check,
   later ones count without it (their count may then include no-audit
   checks of the same key, never a key that had none).  */
#include "observe_kernel.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "observe_abi.h"

char LICENSE[] SEC ("license") = "GPL";

const volatile __u64 noaudit_lo[OBSERVE_RANGES];
const volatile __u64 noaudit_hi[OBSERVE_RANGES];
const volatile __u32 noaudit_n;

struct
{
  __uint (type, BPF_MAP_TYPE_HASH);
  __uint (max_entries, OBSERVE_MAX_KEYS);
  __type (key, struct observe_key);
  __type (value, struct observe_value);
} checks SEC (".maps");

struct
{
  __uint (type, BPF_MAP_TYPE_HASH);
  __uint (max_entries, OBSERVE_MAX_CGROUPS);
  __type (key, __u64);
  __type (value, struct observe_cgroup);
} cgroups SEC (".maps");

/* Per task: where it last exec'd, inherited on fork; the kernel frees it
   with the task.  */
struct
{
  __uint (type, BPF_MAP_TYPE_TASK_STORAGE);
  __uint (map_flags, BPF_F_NO_PREALLOC);
  __type (key, int);
  __type (value, struct observe_exec);
} execs SEC (".maps");

struct
{
  __uint (type, BPF_MAP_TYPE_PERCPU_ARRAY);
  __uint (max_entries, OBSERVE_STAT_COUNT);
  __type (key, __u32);
  __type (value, __u64);
} stats SEC (".maps");

static __always_inline void
stat (__u32 which)
{
  __u64 *n = bpf_map_lookup_elem (&stats, &which);

  if (n)
    (*n)++;
}

/* Whether record E, for a task now in CGROUP, is a runtime's init: see
   above.  */
static __always_inline bool
init_record (const struct observe_exec *e, __u64 cgroup)
{
  if (e->runtime)
    return true;
  if (e->cgroup == cgroup)
    return false;
  if (e->level == 0)
    return true;
  return bpf_get_current_ancestor_cgroup_id ((int)e->level) != e->cgroup;
}

static __always_inline bool
runtime_init (struct task_struct *task, __u64 cgroup)
{
  struct observe_exec *e = bpf_task_storage_get (&execs, task, 0, 0);

  return e && init_record (e, cgroup);
}

/* Whether an exec of PATH is a program executing itself again.  */
static __always_inline bool
self_exec (const char *path)
{
  char p[16] = { 0 };

  bpf_probe_read_kernel_str (p, sizeof p, path);
  if (p[0] != '/')
    return false;
  if (p[1] == 'd' && p[2] == 'e' && p[3] == 'v' && p[4] == '/' && p[5] == 'f' && p[6] == 'd'
      && p[7] == '/')
    return true;
  return p[1] == 'p' && p[2] == 'r' && p[3] == 'o' && p[4] == 'c' && p[5] == '/' && p[6] == 's'
         && p[7] == 'e' && p[8] == 'l' && p[9] == 'f' && p[10] == '/';
}

SEC ("tp_btf/sched_process_exec")
int
BPF_PROG (on_exec, struct task_struct *p, int old_pid, struct linux_binprm *bprm)
{
  struct observe_exec *e = bpf_task_storage_get (&execs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  __u64 cgroup = bpf_get_current_cgroup_id ();
  bool runtime;

  (void)old_pid;
  if (!e)
    return 0;
  /* A new record has cgroup 0: no earlier exec known.  */
  runtime = e->cgroup != 0 && init_record (e, cgroup) && self_exec (BPF_CORE_READ (bprm, filename));
  e->cgroup = cgroup;
  e->level = (__u32)BPF_CORE_READ (p, cgroups, dfl_cgrp, level);
  e->runtime = runtime;
  return 0;
}

SEC ("tp_btf/sched_process_fork")
int
BPF_PROG (on_fork, struct task_struct *parent, struct task_struct *child)
{
  struct observe_exec *e = bpf_task_storage_get (&execs, parent, 0, 0), *c;

  if (!e)
    return 0;
  c = bpf_task_storage_get (&execs, child, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
  if (c)
    *c = *e;
  return 0;
}

static __always_inline bool
noaudit (void *ctx)
{
  __u64 frames[OBSERVE_FRAMES];
  long len = bpf_get_stack (ctx, frames, sizeof frames, 0);
  __u32 i, r;

  if (len <= 0)
    return false;
  for (i = 0; i < OBSERVE_FRAMES; i++)
    {
      if (i * 8 >= len)
        break;
      for (r = 0; r < OBSERVE_RANGES; r++)
        {
          if (r >= noaudit_n)
            break;
          if (frames[i] >= noaudit_lo[r] && frames[i] < noaudit_hi[r])
            return true;
        }
    }
  return false;
}

static __always_inline struct kernfs_node *
kn_parent (struct kernfs_node *kn)
{
  struct kernfs_node___new *n = (void *)kn;
  struct kernfs_node___old *o = (void *)kn;

  if (bpf_core_field_exists (n->__parent))
    return BPF_CORE_READ (n, __parent);
  return BPF_CORE_READ (o, parent);
}

/* The cgroup's name and its parent's, the first time it is seen.  */
static __always_inline void
remember_cgroup (struct task_struct *task, __u64 id)
{
  static const struct observe_cgroup zero;
  struct observe_cgroup *c;
  struct kernfs_node *kn, *parent;

  if (bpf_map_lookup_elem (&cgroups, &id))
    return;
  if (bpf_map_update_elem (&cgroups, &id, &zero, BPF_NOEXIST) != 0)
    return;
  c = bpf_map_lookup_elem (&cgroups, &id);
  if (!c)
    return;
  kn = BPF_CORE_READ (task, cgroups, dfl_cgrp, kn);
  if (!kn)
    return;
  bpf_probe_read_kernel_str (c->name, sizeof c->name, BPF_CORE_READ (kn, name));
  parent = kn_parent (kn);
  if (parent)
    bpf_probe_read_kernel_str (c->parent, sizeof c->parent, BPF_CORE_READ (parent, name));
}

/* One check: NOAUDIT 1 or 0 when the attach point knows it, -1 when the
   kernel stack must tell.  */
static __always_inline int
count_check (void *ctx, const struct cred *cred, struct user_namespace *target_ns, int cap, int ret,
             int noaudit_known)
{
  struct task_struct *task = bpf_get_current_task_btf ();
  struct observe_key key = { 0 };
  struct observe_value *v, fresh = { 0 };

  if (noaudit_known == 1)
    {
      stat (OBSERVE_STAT_NOAUDIT);
      return 0;
    }
  if (cred != task->real_cred || cred != task->cred)
    {
      stat (OBSERVE_STAT_BORROWED);
      return 0;
    }
  key.cgroup = bpf_get_current_cgroup_id ();
  if (runtime_init (task, key.cgroup))
    {
      stat (OBSERVE_STAT_INIT);
      return 0;
    }
  key.cap = (__u32)cap;
  key.granted = ret == 0;
  key.level = (__u8)target_ns->level;
  v = bpf_map_lookup_elem (&checks, &key);
  if (!v && noaudit_known < 0 && noaudit (ctx))
    {
      stat (OBSERVE_STAT_NOAUDIT);
      return 0;
    }
  /* The hot path (a key seen before): one atomic add.  How many were
     counted, the user side sums from the counts; when last, it knows to
     its flush interval.  */
  if (v)
    {
      __sync_fetch_and_add (&v->count, 1);
      return 0;
    }
  fresh.count = 1;
  fresh.first_ns = bpf_ktime_get_ns ();
  if (bpf_map_update_elem (&checks, &key, &fresh, BPF_NOEXIST) != 0)
    {
      v = bpf_map_lookup_elem (&checks, &key);
      if (v)
        __sync_fetch_and_add (&v->count, 1);
      else
        stat (OBSERVE_STAT_FULL);
      return 0;
    }
  remember_cgroup (task, key.cgroup);
  return 0;
}

/* Recent kernels: the tracepoint, after the decision.  */
SEC ("tp_btf/cap_capable")
int
BPF_PROG (on_cap_capable, const struct cred *cred, struct user_namespace *target_ns,
          const struct user_namespace *capable_ns, int cap, int ret)
{
  (void)capable_ns;
  return count_check (ctx, cred, target_ns, cap, ret, -1);
}

/* Older kernels: cap_capable's return, whose `opts` say whether the check
   is audited.  */
#define CAP_OPT_NOAUDIT (1 << 1)
SEC ("fexit/cap_capable")
int
BPF_PROG (on_cap_capable_exit, const struct cred *cred, struct user_namespace *target_ns, int cap,
          unsigned int opts, int ret)
{
  return count_check (ctx, cred, target_ns, cap, ret, (opts & CAP_OPT_NOAUDIT) ? 1 : 0);
}
