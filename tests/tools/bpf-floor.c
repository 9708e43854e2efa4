/* SPDX-License-Identifier: GPL-2.0-or-later */
/* bpf-floor COMMAND...: runs COMMAND with an empty BPF program attached to
   the capability:cap_capable tracepoint, the floor any observer of every
   capability check pays (tests/bench/observe.sh).  */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "bpf-floor.skel.h"

int
main (int argc, char **argv)
{
  struct bpf_floor *skel;
  int status = 0;
  pid_t pid;

  if (argc < 2)
    {
      fprintf (stderr, "usage: bpf-floor COMMAND...\n");
      return 2;
    }
  skel = bpf_floor__open_and_load ();
  if (skel == NULL || bpf_floor__attach (skel) != 0)
    {
      fprintf (stderr, "bpf-floor: cannot load or attach the empty program\n");
      return 1;
    }
  pid = fork ();
  if (pid == 0)
    {
      execvp (argv[1], argv + 1);
      _exit (127);
    }
  if (pid < 0 || waitpid (pid, &status, 0) < 0)
    return 1;
  bpf_floor__destroy (skel);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 1;
}
