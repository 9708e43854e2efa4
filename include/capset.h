/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_CAPSET_H
#define CAPGUARD_CAPSET_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

/* A capability set is a bit mask: bit N is capability N.  Linux numbers
   capabilities from 0 and is at 40 (CAP_CHECKPOINT_RESTORE) today; 64 bits
   is the width of the kernel's own user ABI (two __u32 words).  */
#define CAPSET_MAX_BITS 64

enum capset_kind
{
  CAPSET_BOUNDING,
  CAPSET_EFFECTIVE,
  CAPSET_PERMITTED,
  CAPSET_INHERITABLE,
  CAPSET_AMBIENT,
  CAPSET_COUNT
};

/* "bounding", "effective", ... as in OCI's process.capabilities.  */
const char *capset_kind_name (enum capset_kind kind);

/* Every capability 0..LAST_CAP.  */
static inline uint64_t
capset_all (int last_cap)
{
  return last_cap >= 63 ? UINT64_MAX : (((uint64_t)1 << (last_cap + 1)) - 1);
}
static inline uint64_t
capset_bit (int cap)
{
  return (uint64_t)1 << cap;
}
static inline bool
capset_has (uint64_t set, int cap)
{
  return (set & capset_bit (cap)) != 0;
}
static inline uint64_t
capset_union (uint64_t a, uint64_t b)
{
  return a | b;
}
static inline uint64_t
capset_intersect (uint64_t a, uint64_t b)
{
  return a & b;
}
static inline uint64_t
capset_subtract (uint64_t a, uint64_t b)
{
  return a & ~b;
}
static inline bool
capset_is_subset (uint64_t a, uint64_t b)
{
  return (a & ~b) == 0;
}
int capset_count (uint64_t set);

/* Parses a capability name as a policy spells it: `CAP_NET_RAW`, `NET_RAW`
   or `net_raw` (any case, optional CAP_ prefix).  `ALL` is not a name; the
   policy layer handles it.  The value is range-checked against LAST_CAP.  */
int capset_parse_policy_name (const char *name, int last_cap, int *cap, struct error **err);

/* Parses a capability name as it stands in an OCI config.  runc and crun
   only know the canonical upper-case `CAP_X` spelling, so anything else
   (lower case, no prefix, numbers, junk) is not a capability: returns -1
   with no error.  */
int capset_parse_config_name (const char *name, int last_cap);

/* "CAP_CHOWN" etc.; NULL when libcap has no name for CAP.  Static storage.  */
const char *capset_name (int cap);

/* "CAP_A CAP_B" (SEP-separated, ascending); "" for the empty set.  Caller frees.  */
char *capset_to_string (uint64_t set, const char *sep);

/* Restores the kernel's invariants on a process's sets, in place:
   permitted ⊆ bounding, effective ⊆ permitted, ambient ⊆ permitted ∩ inheritable.
   The kernel enforces the last one by silently dropping ambient bits
   (capabilities(7), "Ambient capability set"), and runc then fails or skips
   the raise, so a config must never ask for it.  */
void capset_normalise (uint64_t sets[CAPSET_COUNT]);

/* The sets a process holds after execve(2) of a file with no file
   capabilities and no setuid bit, from the sets before it (capabilities(7),
   "Transformation of capabilities during execve()").  ROOT: the real or
   effective uid is 0 (without SECBIT_NOROOT, which runtimes do not set),
   so the file's sets count as full and its effective bit as set.  NNP:
   no_new_privs is set, so execve grants nothing beyond the permitted set
   held before it (the kernel's LSM_UNSAFE_NO_NEW_PRIVS downgrade).  */
void capset_after_execve (const uint64_t before[CAPSET_COUNT], bool root, bool nnp,
                          uint64_t after[CAPSET_COUNT]);

#endif
