/* SPDX-License-Identifier: GPL-2.0-or-later */
/* cap-loop MODE N: N capability checks in a tight loop, for the observe
   benchmark (tests/bench/observe.sh); prints the loop's own time in
   nanoseconds per iteration.  MODE sethostname: an audited CAP_SYS_ADMIN
   check each (in a UTS namespace of its own, so the host's name stays);
   mmap: an anonymous private writable mapping and its unmapping, whose
   accounting makes the kernel's no-audit CAP_SYS_ADMIN check.  */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  struct timespec a, b;
  long n, i;

  if (argc != 3 || (n = strtol (argv[2], NULL, 10)) <= 0)
    {
      fprintf (stderr, "usage: cap-loop sethostname|mmap N\n");
      return 2;
    }
  if (strcmp (argv[1], "sethostname") == 0 && unshare (CLONE_NEWUTS) < 0)
    {
      perror ("unshare(CLONE_NEWUTS)");
      return 1;
    }
  clock_gettime (CLOCK_MONOTONIC, &a);
  for (i = 0; i < n; i++)
    if (strcmp (argv[1], "sethostname") == 0)
      {
        if (sethostname ("capguard-bench", 14) < 0)
          {
            perror ("sethostname");
            return 1;
          }
      }
    else
      {
        void *p = mmap (NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
          {
            perror ("mmap");
            return 1;
          }
        munmap (p, 4096);
      }
  clock_gettime (CLOCK_MONOTONIC, &b);
  printf ("%.1f\n",
          ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)n);
  return 0;
}
