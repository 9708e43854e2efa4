/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "runtime_args.h"
#include "tap.h"
#include "util.h"

static int
parse (char **argv, struct runtime_args *ra, char **msg)
{
  cleanup_error struct error *err = NULL;
  int argc = 0, r;

  while (argv[argc])
    argc++;
  r = runtime_args_parse (argc, argv, ra, &err);
  if (msg)
    *msg = r < 0 ? xstrdup (err->msg) : NULL;
  return r;
}

static int
test_containerd_create (void)
{
  char *argv[] = { "runc",
                   "--root",
                   "/run/containerd/runc/k8s.io",
                   "--log",
                   "/run/x/log.json",
                   "--log-format",
                   "json",
                   "--systemd-cgroup",
                   "create",
                   "--bundle",
                   "/run/x",
                   "--pid-file",
                   "/run/x/init.pid",
                   "abc",
                   NULL };
  struct runtime_args ra;

  EXPECT (parse (argv, &ra, NULL) == 0);
  EXPECT (ra.command == 8 && ra.id == 13);
  EXPECT_STR (ra.root, "/run/containerd/runc/k8s.io");
  EXPECT_STR (ra.log, "/run/x/log.json");
  EXPECT_STR (ra.log_format, "json");
  EXPECT_STR (ra.bundle, "/run/x");
  EXPECT (ra.process == NULL && ra.n_caps == 0);
  runtime_args_release (&ra);
  return 0;
}

/* containerd's shim restoring a checkpoint: the value options of restore
   are skipped, so the id and bundle are found.  */
static int
test_restore (void)
{
  char *argv[] = { "runc",        "--root",       "/r",
                   "restore",     "--image-path", "/img",
                   "--work-path", "/w",           "--manage-cgroups-mode",
                   "soft",        "--detach",     "--bundle",
                   "/b",          "abc",          NULL };
  struct runtime_args ra;

  EXPECT (parse (argv, &ra, NULL) == 0);
  EXPECT (ra.command == 3 && ra.id == 13);
  EXPECT_STR (ra.bundle, "/b");
  runtime_args_release (&ra);
  return 0;
}

static int
test_bundle_spellings_and_order (void)
{
  char *a1[] = { "runc", "create", "abc", "--bundle=/b1", NULL };
  char *a2[] = { "runc", "-root=/r", "run", "-b", "/b2", "-d", "abc", NULL };
  char *a3[] = { "runc", "create", "--pid-file", "/p", "abc", NULL };
  char *a4[] = { "runc", "--", "create", "-b=/b4", "--", "abc", NULL };
  struct runtime_args ra;

  EXPECT (parse (a1, &ra, NULL) == 0 && ra.id == 2);
  EXPECT_STR (ra.bundle, "/b1");
  runtime_args_release (&ra);
  EXPECT (parse (a2, &ra, NULL) == 0 && ra.id == 6);
  EXPECT_STR (ra.bundle, "/b2");
  EXPECT_STR (ra.root, "/r");
  runtime_args_release (&ra);
  EXPECT (parse (a3, &ra, NULL) == 0 && ra.bundle == NULL && ra.id == 4);
  runtime_args_release (&ra);
  EXPECT (parse (a4, &ra, NULL) == 0 && ra.command == 2 && ra.id == 5);
  EXPECT_STR (ra.bundle, "/b4");
  runtime_args_release (&ra);
  return 0;
}

static int
test_exec_stops_at_the_id (void)
{
  char *argv[] = { "runc",
                   "exec",
                   "--process",
                   "/tmp/p.json",
                   "-d",
                   "--cap",
                   "CAP_KILL",
                   "--cap=CAP_SYS_ADMIN",
                   "-c",
                   "CAP_NET_RAW",
                   "abc",
                   "sh",
                   "-c",
                   "--cap",
                   "CAP_SYS_MODULE",
                   "-p",
                   "/evil",
                   NULL };
  struct runtime_args ra;

  EXPECT (parse (argv, &ra, NULL) == 0);
  EXPECT (ra.id == 10);
  EXPECT_STR (ra.process, "/tmp/p.json");
  EXPECT (ra.n_caps == 3);
  EXPECT_STR (runtime_args_cap_value (&ra, argv, 0), "CAP_KILL");
  EXPECT_STR (runtime_args_cap_value (&ra, argv, 1), "CAP_SYS_ADMIN");
  EXPECT_STR (runtime_args_cap_value (&ra, argv, 2), "CAP_NET_RAW");
  EXPECT (!ra.cap_joined[0] && ra.cap_joined[1] && !ra.cap_joined[2]);
  runtime_args_release (&ra);
  return 0;
}

static int
test_errors_and_passthrough (void)
{
  char *a1[] = { "runc", "--frob", "create", NULL };
  char *a2[] = { "runc", "--root", NULL };
  char *a3[] = { "runc", "create", "--bundle", NULL };
  char *a4[] = { "runc", "--debug", NULL };
  char *a5[] = { "runc", "--cgroup-manager=systemd", "kill", "abc", "KILL", NULL };
  cleanup_free char *m1 = NULL, *m2 = NULL, *m3 = NULL;
  struct runtime_args ra;

  EXPECT (parse (a1, &ra, &m1) < 0);
  EXPECT_STR (m1, "unknown runtime option `--frob`: cannot tell where the command starts");
  runtime_args_release (&ra);
  EXPECT (parse (a2, &ra, &m2) < 0);
  EXPECT_STR (m2, "runtime option `--root` needs a value");
  runtime_args_release (&ra);
  EXPECT (parse (a3, &ra, &m3) < 0);
  EXPECT_STR (m3, "option `--bundle` needs a value");
  runtime_args_release (&ra);
  EXPECT (parse (a4, &ra, NULL) == 0 && ra.command == -1);
  runtime_args_release (&ra);
  EXPECT (parse (a5, &ra, NULL) == 0 && ra.command == 2 && ra.id == 3);
  runtime_args_release (&ra);
  return 0;
}

TAP_MAIN (T (test_restore), T (test_containerd_create), T (test_bundle_spellings_and_order),
          T (test_exec_stops_at_the_id), T (test_errors_and_passthrough))
