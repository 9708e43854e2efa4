/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <signal.h>
#include <sys/wait.h>

#include "proc.h"
#include "tap.h"
#include "util.h"

static const char status_text[] = "Name:\tsleep\n"
                                  "Umask:\t0022\n"
                                  "State:\tS (sleeping)\n"
                                  "CapInh:\t0000000000000000\n"
                                  "CapPrm:\t00000000000005fb\n"
                                  "CapEff:\t00000000000005fb\n"
                                  "CapBnd:\t00000000000025fb\n"
                                  "CapAmb:\t0000000000000400\n"
                                  "NoNewPrivs:\t1\n"
                                  "Seccomp:\t2\n"
                                  "Seccomp_filters:\t1\n";

static int
test_parse_status (void)
{
  cleanup_error struct error *err = NULL;
  struct proc_live live;

  EXPECT (proc_parse_status (status_text, &live, &err) == 0);
  EXPECT (live.sets[CAPSET_PERMITTED] == 0x5fb);
  EXPECT (live.sets[CAPSET_EFFECTIVE] == 0x5fb);
  EXPECT (live.sets[CAPSET_BOUNDING] == 0x25fb);
  EXPECT (live.sets[CAPSET_AMBIENT] == 0x400);
  EXPECT (live.sets[CAPSET_INHERITABLE] == 0);
  EXPECT (live.no_new_privs);
  /* `Seccomp_filters:` must not be read as `Seccomp:`.  */
  EXPECT (live.seccomp_mode == 2);
  return 0;
}

static int
test_parse_status_rejects (void)
{
  cleanup_error struct error *err = NULL;
  struct proc_live live;

  EXPECT (proc_parse_status ("CapInh:\t0\n", &live, &err) < 0);
  EXPECT (strstr (err->msg, "no `CapPrm:` line") != NULL);
  error_free (&err);
  EXPECT (proc_parse_status ("", &live, &err) < 0);
  {
    char bad[sizeof status_text];
    memcpy (bad, status_text, sizeof bad);
    *strstr (bad, "00000000000025fb") = 'x';
    error_free (&err);
    EXPECT (proc_parse_status (bad, &live, &err) < 0);
    EXPECT (strstr (err->msg, "bad `CapBnd:` line") != NULL);
  }
  /* A key inside another line does not count.  */
  error_free (&err);
  EXPECT (proc_parse_status ("Name:\tCapPrm: 1\n", &live, &err) < 0);
  return 0;
}

static int
test_read_self_and_kill_child (void)
{
  cleanup_error struct error *err = NULL;
  struct proc_handle h;
  struct proc_live live;
  bool gone;
  pid_t child;
  int st;

  child = fork ();
  if (child == 0)
    {
      pause ();
      _exit (0);
    }
  EXPECT (child > 0);
  EXPECT (proc_open (child, &h, &gone, &err) == 0 && !gone);
  EXPECT (proc_read_live (&h, &live, &err) == 0);
  EXPECT (proc_kill (&h, &err) == 0);
  EXPECT (waitpid (child, &st, 0) == child);
  EXPECT (WIFSIGNALED (st) && WTERMSIG (st) == SIGKILL);
  /* Reaped: the pidfd no longer names a live process.  */
  EXPECT (proc_read_live (&h, &live, &err) < 0);
  proc_close (&h);
  EXPECT (proc_open (child, &h, &gone, &err) == 0 && gone);
  return 0;
}

TAP_MAIN (T (test_parse_status), T (test_parse_status_rejects), T (test_read_self_and_kill_child))
