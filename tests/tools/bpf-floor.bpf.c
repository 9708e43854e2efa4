/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An empty program on the tracepoint observe uses: what attaching
   anything there costs the kernel (tests/bench/observe.sh's floor).  */
#include "observe_kernel.h"

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC ("license") = "GPL";

SEC ("tp_btf/cap_capable")
int
BPF_PROG (floor_cap_capable, const struct cred *cred, struct user_namespace *target_ns,
          const struct user_namespace *capable_ns, int cap, int ret)
{
  (void)cred, (void)target_ns, (void)capable_ns, (void)cap, (void)ret;
  return 0;
}
