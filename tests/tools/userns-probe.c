/* SPDX-License-Identifier: GPL-2.0-or-later */
/* userns-probe: run inside a container, tries every way to make a user
   namespace that seccomp can see (unshare and clone with CLONE_NEWUSER and
   other flags beside it, clone3) and ordinary work (fork, unshare and
   clone without CLONE_NEWUSER, exec, a file), each in a child of its own,
   and prints one JSON object: probe name -> "userns" (a user namespace was
   made), "ok", or the errno name (or "signal N").  Static, for a busybox
   root filesystem.  */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWUSER
#define CLONE_NEWUSER 0x10000000
#endif

struct clone_args_v0
{
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static ino_t parent_userns;

static ino_t
userns_ino (void)
{
  struct stat st;

  return stat ("/proc/self/ns/user", &st) == 0 ? st.st_ino : 0;
}

/* Exit codes of a probe's child: 0 ok, 100 a new user namespace, else
   the errno + 1 (so that 0 stays "ok").  */
#define NEW_USERNS 100

static int
child_verdict (void)
{
  return userns_ino () != parent_userns ? NEW_USERNS : 0;
}

static int
run_unshare (unsigned long flags)
{
  if (syscall (SYS_unshare, flags) < 0)
    return errno + 1 > 99 ? 99 : errno + 1;
  return child_verdict ();
}

/* The verdict of a fork made by a clone-like call that returned PID:
   the child's, or errno + 1 when the call failed.  */
static int
forked_verdict (long pid)
{
  int status;

  if (pid < 0)
    return errno + 1 > 99 ? 99 : errno + 1;
  if (pid == 0)
    _exit (child_verdict ());
  if (waitpid ((pid_t)pid, &status, 0) < 0 || !WIFEXITED (status))
    return 98;
  return WEXITSTATUS (status);
}

static int
run_clone (unsigned long flags)
{
  return forked_verdict (syscall (SYS_clone, flags | SIGCHLD, 0, 0, 0, 0));
}

static int
run_clone3 (unsigned long flags)
{
  struct clone_args_v0 args = { .flags = flags, .exit_signal = SIGCHLD };

  return forked_verdict (syscall (435 /* SYS_clone3 */, &args, sizeof args));
}

static int
run_exec (unsigned long flags)
{
  (void)flags;
  execl ("/bin/true", "true", (char *)NULL);
  return errno + 1;
}

static int
run_file (unsigned long flags)
{
  int fd = open ("/tmp/probe-file", O_WRONLY | O_CREAT | O_TRUNC, 0600);

  (void)flags;
  if (fd < 0 || write (fd, "x", 1) != 1)
    return errno + 1;
  close (fd);
  return 0;
}

struct probe
{
  const char *name;
  int (*fn) (unsigned long);
  unsigned long flags;
};

static const struct probe probes[] = {
  { "unshare NEWUSER", run_unshare, CLONE_NEWUSER },
  { "unshare NEWUSER|NEWNS", run_unshare, CLONE_NEWUSER | CLONE_NEWNS },
  { "unshare NEWUSER|FILES", run_unshare, CLONE_NEWUSER | CLONE_FILES },
  { "unshare NEWUSER|FS", run_unshare, CLONE_NEWUSER | CLONE_FS },
  { "unshare NEWUSER|NEWUTS", run_unshare, CLONE_NEWUSER | CLONE_NEWUTS },
  { "unshare NEWUSER|SYSVSEM", run_unshare, CLONE_NEWUSER | CLONE_SYSVSEM },
  { "unshare NEWUSER|NEWIPC|NEWNET", run_unshare, CLONE_NEWUSER | CLONE_NEWIPC | CLONE_NEWNET },
  { "clone NEWUSER", run_clone, CLONE_NEWUSER },
  { "clone NEWUSER|NEWNS", run_clone, CLONE_NEWUSER | CLONE_NEWNS },
  { "clone NEWUSER|FILES", run_clone, CLONE_NEWUSER | CLONE_FILES },
  { "clone NEWUSER|NEWPID", run_clone, CLONE_NEWUSER | CLONE_NEWPID },
  { "clone3 NEWUSER", run_clone3, CLONE_NEWUSER },
  /* Ordinary work, which must run as it did without capguard.  */
  { "fork", run_clone, 0 },
  { "clone FILES", run_clone, CLONE_FILES },
  { "unshare FILES", run_unshare, CLONE_FILES },
  { "unshare FS", run_unshare, CLONE_FS },
  { "unshare SYSVSEM", run_unshare, CLONE_SYSVSEM },
  { "unshare 0", run_unshare, 0 },
  { "exec", run_exec, 0 },
  { "file", run_file, 0 },
};

static const char *
verdict (int status, char *buf, size_t len)
{
  if (WIFSIGNALED (status))
    snprintf (buf, len, "signal %d", WTERMSIG (status));
  else if (WEXITSTATUS (status) == 0)
    snprintf (buf, len, "ok");
  else if (WEXITSTATUS (status) == NEW_USERNS)
    snprintf (buf, len, "userns");
  else if (WEXITSTATUS (status) >= 98)
    snprintf (buf, len, "unknown");
  else
    snprintf (buf, len, "%s",
              strerrorname_np (WEXITSTATUS (status) - 1)
                  ? strerrorname_np (WEXITSTATUS (status) - 1)
                  : "errno");
  return buf;
}

int
main (void)
{
  size_t i;

  parent_userns = userns_ino ();
  printf ("{");
  for (i = 0; i < sizeof probes / sizeof probes[0]; i++)
    {
      char buf[64];
      int status = 0;
      pid_t pid;

      fflush (stdout);
      pid = fork ();
      if (pid == 0)
        _exit (probes[i].fn (probes[i].flags));
      if (pid < 0 || waitpid (pid, &status, 0) < 0)
        status = 99 << 8;
      printf ("%s\"%s\": \"%s\"", i ? ", " : "", probes[i].name, verdict (status, buf, sizeof buf));
    }
  printf ("}\n");
  return 0;
}
