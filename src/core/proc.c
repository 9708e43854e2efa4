/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/pidfd.h>

#include "log.h"
#include "proc.h"
#include "util.h"

int
proc_open (pid_t pid, struct proc_handle *h, bool *gone, struct error **err)
{
  h->pid = pid;
  h->pidfd = pidfd_open (pid, 0);
  *gone = false;
  if (h->pidfd < 0 && errno == ESRCH)
    {
      *gone = true;
      return 0;
    }
  if (h->pidfd < 0)
    return make_error (err, errno, "pidfd_open %d", (int)pid);
  return 0;
}

void
proc_close (struct proc_handle *h)
{
  if (h->pidfd >= 0)
    close (h->pidfd);
  h->pidfd = -1;
}

static int
parse_hex_line (const char *text, const char *key, uint64_t *out, struct error **err)
{
  const char *p = strstr (text, key);
  char *end;

  /* The key must start a line.  */
  while (p && p != text && p[-1] != '\n')
    p = strstr (p + 1, key);
  if (p == NULL)
    return make_error (err, 0, "no `%s` line in the process status", key);
  p += strlen (key);
  while (*p == ' ' || *p == '\t')
    p++;
  errno = 0;
  *out = strtoull (p, &end, 16);
  if (errno || end == p || (*end != '\n' && *end != '\0'))
    return make_error (err, 0, "bad `%s` line in the process status", key);
  return 0;
}

int
proc_parse_status (const char *text, struct proc_live *live, struct error **err)
{
  static const struct
  {
    const char *key;
    enum capset_kind kind;
  } lines[] = {
    { "CapInh:", CAPSET_INHERITABLE }, { "CapPrm:", CAPSET_PERMITTED },
    { "CapEff:", CAPSET_EFFECTIVE },   { "CapBnd:", CAPSET_BOUNDING },
    { "CapAmb:", CAPSET_AMBIENT },
  };
  uint64_t v;
  size_t i;

  for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
    if (parse_hex_line (text, lines[i].key, &live->sets[lines[i].kind], err) < 0)
      return -1;
  /* NoNewPrivs and Seccomp are decimal, but 0/1/2 read the same in hex.  */
  if (parse_hex_line (text, "NoNewPrivs:", &v, err) < 0)
    return -1;
  live->no_new_privs = v != 0;
  if (parse_hex_line (text, "Seccomp:", &v, err) < 0)
    return -1;
  live->seccomp_mode = (int)v;
  return 0;
}

static void
cap_freep (cap_t *c)
{
  if (*c)
    cap_free (*c);
}
#define cleanup_cap __attribute__ ((cleanup (cap_freep)))

int
proc_read_live (const struct proc_handle *h, struct proc_live *live, struct error **err)
{
  cleanup_free char *path = NULL, *text = NULL;
  cleanup_close int dirfd = -1;
  cleanup_cap cap_t caps = NULL;
  size_t len;
  int cap;

  memset (live, 0, sizeof *live);
  xasprintf (&path, "/proc/%d", (int)h->pid);
  dirfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return make_error (err, errno, "open %s", path);
  if (util_read_file_at (dirfd, "status", 1 << 20, &text, &len, err) < 0)
    return error_wrap (err, "%s", path);
  if (proc_parse_status (text, live, err) < 0)
    return error_wrap (err, "%s/status", path);

  /* libcap's view of the three per-thread sets (capget(2)) must agree with
     the status text: a mismatch means we read two different processes.  */
  caps = cap_get_pid (h->pid);
  if (caps == NULL)
    return make_error (err, errno, "capget %d", (int)h->pid);
  for (cap = 0; cap < CAPSET_MAX_BITS && cap <= cap_max_bits (); cap++)
    {
      static const struct
      {
        cap_flag_t flag;
        enum capset_kind kind;
      } flags[] = { { CAP_EFFECTIVE, CAPSET_EFFECTIVE },
                    { CAP_PERMITTED, CAPSET_PERMITTED },
                    { CAP_INHERITABLE, CAPSET_INHERITABLE } };
      size_t f;

      for (f = 0; f < 3; f++)
        {
          cap_flag_value_t on = CAP_CLEAR;
          if (cap_get_flag (caps, cap, flags[f].flag, &on) < 0)
            continue;
          if ((on == CAP_SET) != capset_has (live->sets[flags[f].kind], cap))
            return make_error (err, 0, "process %d changed while it was read", (int)h->pid);
        }
    }

  /* Still the same, still running process: the pidfd answers signal 0.  */
  if (pidfd_send_signal (h->pidfd, 0, NULL, 0) < 0)
    return make_error (err, errno, "process %d exited while it was read", (int)h->pid);
  return 0;
}

int
proc_kill (const struct proc_handle *h, struct error **err)
{
  if (pidfd_send_signal (h->pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
    return make_error (err, errno, "kill %d", (int)h->pid);
  return 0;
}

void
proc_facts_from_live (struct oci_facts *facts, const struct proc_live *live)
{
  int k;

  for (k = 0; k < CAPSET_COUNT; k++)
    {
      facts->sets[k] = live->sets[k];
      facts->set_present[k] = true;
      json_decref (facts->unknown[k]);
      facts->unknown[k] = NULL;
    }
  facts->caps_present = true;
  facts->no_new_privileges = live->no_new_privs;
  facts->seccomp = live->seccomp_mode == 2 ? OCI_SECCOMP_CONFINED : OCI_SECCOMP_NONE;
}

int
proc_judge_live (const struct policy *policy, pid_t pid, enum enforce_stage stage,
                 const char *killed, struct oci_facts *facts, struct decision *d, bool *gone,
                 bool *refused, struct error **err)
{
  struct proc_handle proc = { .pid = 0, .pidfd = -1 };
  struct proc_live live;
  int ret = -1;

  *gone = false;
  if (proc_open (pid, &proc, gone, err) < 0)
    return -1;
  if (*gone)
    return 0;
  if (proc_read_live (&proc, &live, err) < 0)
    {
      /* Fail closed: a process we cannot read is not let run.  */
      cleanup_error struct error *kerr = NULL;
      if (refused)
        *refused = true;
      if (proc_kill (&proc, &kerr) < 0)
        log_warning ("%s", kerr->msg);
      goto done;
    }
  proc_facts_from_live (facts, &live);
  enforce_decide (policy, facts, stage, d);
  if (d->outcome == ENFORCE_REFUSED)
    {
      if (refused)
        *refused = true;
      if (proc_kill (&proc, err) < 0)
        goto done;
      json_array_append_new (d->reasons, json_string (killed));
    }
  ret = 0;
done:
  proc_close (&proc);
  return ret;
}
