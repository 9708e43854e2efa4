/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The few kernel types observe.bpf.c reads, as CO-RE relocatable
   declarations: libbpf matches each field by name against the running
   kernel's BTF, so no vmlinux.h of one kernel is built in.  */
#ifndef CAPGUARD_OBSERVE_KERNEL_H
#define CAPGUARD_OBSERVE_KERNEL_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

/* From linux/bpf.h.  */
#define BPF_NOEXIST 1
#define BPF_F_NO_PREALLOC 1
#define BPF_LOCAL_STORAGE_GET_F_CREATE 1

enum bpf_map_type
{
  BPF_MAP_TYPE_HASH = 1,
  BPF_MAP_TYPE_PERCPU_ARRAY = 6,
  BPF_MAP_TYPE_TASK_STORAGE = 29,
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct user_namespace
{
  int level;
};

struct cred
{
  struct user_namespace *user_ns;
};

struct kernfs_node
{
  const char *name;
};

/* The parent link is `__parent` since Linux 6.15, `parent` before: one
   of the two flavours exists in the running kernel.  */
struct kernfs_node___new
{
  struct kernfs_node *__parent;
};

struct kernfs_node___old
{
  struct kernfs_node *parent;
};

struct cgroup
{
  struct kernfs_node *kn;
  int level;
};

struct css_set
{
  struct cgroup *dfl_cgrp;
};

struct task_struct
{
  int pid;
  const struct cred *real_cred;
  const struct cred *cred;
  struct css_set *cgroups;
};

struct linux_binprm
{
  const char *filename;
};

#pragma clang attribute pop

#endif
