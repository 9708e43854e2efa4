/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "command.h"
#include "engine.h"
#include "error.h"
#include "modes.h"
#include "util.h"

#ifndef CAPGUARD_VERSION
#define CAPGUARD_VERSION "unknown"
#endif

static const char usage_text[]
    = "Usage: capguard [--policy FILE] COMMAND [ARGS]\n"
      "\n"
      "Makes every container's capability sets conform to one node policy.\n"
      "\n"
      "Commands:\n"
      "  precreate           OCI config on stdin, the conforming config on stdout\n"
      "                      (podman's hooks.d precreate stage)\n"
      "  hook [STAGE]        OCI state on stdin; STAGE createRuntime (default) or prestart\n"
      "                      checks <bundle>/config.json, poststart checks the live process\n"
      "                      and kills it on a violation\n"
      "  runtime [--runtime PATH] -- ARGS...\n"
      "                      the runtime wrapper: rewrite what runc create/run/exec/\n"
      "                      restore will read, then run the real runtime with ARGS (also\n"
      "                      when invoked through a link named capguard-runtime)\n"
      "  explain [--annotation K=V]... [--json] [--diff] CONFIG-OR-BUNDLE\n"
      "                      what the policy would do to a config, set by set, and what\n"
      "                      the process will hold after execve; changes nothing\n"
      "  install ENGINE [--root DIR] [--binary PATH] [--config FILE] [--dry-run]\n"
      "                      write the registration files for podman, crio, containerd or\n"
      "                      docker under DIR (default /); uninstall ENGINE removes them\n"
      "  check [POLICY]      validate a policy and print each rule's effective ceilings\n"
      "  report [--since TIME] [--suggest] [--json] [LOG...]\n"
      "                      what the decision logs say, per workload; what enforce\n"
      "                      would refuse; --suggest the rules that would let it run\n"
      "  observe [--for SECONDS] [--interval SECONDS] [--log FILE] [--decisions FILE]\n"
      "                      which capabilities each container really uses (eBPF on every\n"
      "                      capability check), per container, written to FILE\n"
      "  status [--root DIR] [--config ENGINE=FILE]... [--ready] [--json] [ENGINE...]\n"
      "                      is this node protected: each engine's paths, covered or not,\n"
      "                      and the command that closes each gap\n"
      "  crio-conf [POLICY]  print CRI-O's crio.conf.d drop-in setting default_capabilities\n"
      "                      to the policy's ceiling\n"
      "  version             print the versions of capguard, libcap, jansson, libseccomp,\n"
      "                      libbpf\n"
      "\n"
      "Options:\n"
      "  --policy FILE       the node policy (default $CAPGUARD_POLICY, else\n"
      "                      " POLICY_DEFAULT_PATH ", else the built-in policy when\n"
      "                      nothing is at that path)\n"
      "  -h, --help          show this help\n"
      "  -V, --version       same as `capguard version`\n"
      "\n"
      "Exit status: 0 conforming, rewritten or audited; 1 refused by policy;\n"
      "2 usage error or invalid policy; 3 bad input or internal error.\n";

static int command_help (struct command_ctx *ctx, struct error **err);

static const struct command
{
  const char *name;
  int (*run) (struct command_ctx *ctx, struct error **err);
  unsigned flags;
} commands[] = {
  { "precreate", command_precreate, COMMAND_HOT | COMMAND_STDIN | COMMAND_STDOUT },
  { "hook", command_hook, COMMAND_HOT | COMMAND_STDIN },
  { "runtime", command_runtime, COMMAND_HOT },
  { "explain", command_explain, 0 },
  { "install", command_install, 0 },
  { "uninstall", command_install, 0 },
  { "check", command_check, 0 },
  { "crio-conf", command_crio_conf, 0 },
  { "report", command_report, 0 },
  { "observe", command_observe, 0 },
  { "status", command_status, 0 },
  { "version", command_version, 0 },
  { "help", command_help, 0 },
};

static int
command_help (struct command_ctx *ctx, struct error **err)
{
  (void)ctx, (void)err;
  fputs (usage_text, stdout);
  return COMMAND_OK;
}

/* The one place that prints an error and maps a command_status to the
   exit code (SPEC §3); EXIT_STATUS is a successful command's own.  */
static int
finish (const char *command, int status, int exit_status, struct error *err)
{
  if (status == COMMAND_OK)
    return exit_status;
  if (status == COMMAND_REFUSED && err == NULL)
    return 1; /* said on stdout (status's gaps) */
  fflush (stdout);
  if (status == COMMAND_USAGE || command == NULL)
    fprintf (stderr, "capguard: %s\n", error_msg (err));
  else
    fprintf (stderr, "capguard: %s: %s\n", command, error_msg (err));
  switch (status)
    {
    case COMMAND_REFUSED:
      return 1;
    case COMMAND_INVALID:
    case COMMAND_USAGE:
      return 2;
    default:
      return 3;
    }
}

/* A mistake in capguard's own options: said, exit 2.  */
static int __attribute__ ((format (printf, 1, 2))) usage_error (const char *fmt, ...)
{
  cleanup_error struct error *err = NULL;
  va_list ap;

  va_start (ap, fmt);
  command_usagev (&err, fmt, ap);
  va_end (ap);
  return finish (NULL, COMMAND_USAGE, 0, err);
}

static const struct command *
command_named (const char *name)
{
  size_t i;

  for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (name, commands[i].name) == 0)
      return &commands[i];
  return NULL;
}

/* A closed standard descriptor would be reused by the next open(): the
   policy or the log could become "stdout" (bubblewrap and sudo guard the
   same way).  Fills the gaps with /dev/null and says which were closed.  */
static int
guard_std_fds (bool closed[3])
{
  int fd;

  for (fd = 0; fd < 3; fd++)
    {
      closed[fd] = fcntl (fd, F_GETFD) < 0;
      if (closed[fd] && open ("/dev/null", O_RDWR) != fd)
        return -1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  static const struct option options[] = {
    { "policy", required_argument, NULL, 'p' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error struct error *err = NULL;
  struct command_ctx ctx = { 0 };
  const struct command *command;
  const char *env_policy = getenv ("CAPGUARD_POLICY");
  cleanup_free char *behind = NULL;
  bool std_closed[3];
  int c, status;

  if (guard_std_fds (std_closed) < 0)
    return 3;
  ctx.policy_path = env_policy && env_policy[0] ? env_policy : NULL;

  /* Invoked as the runtime itself (capguard-runtime, or a wrapper for a
     handler's own runtime in capguard-runtime.d/): the whole command line
     is the runtime's.  */
  if ((behind = engine_wrapper_target (argv[0])) != NULL)
    {
      ctx.name = "runtime";
      ctx.flags = COMMAND_HOT;
      status = command_run_wrapper (&ctx, NULL, argc, argv, &err);
      return finish (ctx.name, status, ctx.exit_status, err);
    }

  /* `+`: stop at the command, whose arguments are its own; `:`: our own
     one-line messages, not getopt's.  */
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+:hV", options, NULL)) != -1)
    switch (c)
      {
      case 'p':
        if (optarg[0] == '\0')
          return usage_error ("--policy needs a file name");
        ctx.policy_path = optarg;
        break;
      case 'h':
        fputs (usage_text, stdout);
        return 0;
      case 'V':
        status = mode_version (stdout, &err);
        return finish ("version", status, 0, err);
      case ':':
        return usage_error ("option `%s` needs an argument", argv[optind - 1]);
      default:
        return usage_error ("unknown option `%s`", argv[optind - 1]);
      }
  if (optind >= argc)
    return usage_error ("no command given");
  if ((command = command_named (argv[optind])) == NULL)
    return usage_error ("unknown command `%s`", argv[optind]);

  ctx.name = command->name;
  ctx.flags = command->flags;
  ctx.argc = argc - optind;
  ctx.argv = argv + optind;
  optind = 0; /* 0: glibc reinitialises getopt, permutation state included */
  if (((command->flags & COMMAND_STDIN) && std_closed[STDIN_FILENO])
      || ((command->flags & COMMAND_STDOUT) && std_closed[STDOUT_FILENO]))
    {
      make_error (&err, 0, "standard %s is closed", std_closed[STDIN_FILENO] ? "input" : "output");
      return finish (ctx.name, COMMAND_FAILED, 0, err);
    }
  status = command->run (&ctx, &err);
  if (status >= 0 && (fflush (stdout) != 0 || ferror (stdout)))
    {
      error_free (&err);
      make_error (&err, 0, "cannot write to stdout");
      status = COMMAND_FAILED;
    }
  return finish (ctx.name, status, ctx.exit_status, err);
}
