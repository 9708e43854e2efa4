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

#include "error.h"
#include "log.h"
#include "report.h"
#include "modes.h"
#include "policy.h"
#include "util.h"

#ifndef CAPGUARD_VERSION
#define CAPGUARD_VERSION "unknown"
#endif

enum exit_code
{
  EXIT_CONFORMING = 0,
  EXIT_REFUSED = 1,
  EXIT_USAGE = 2, /* also an invalid or unsafe policy */
  EXIT_BAD_INPUT = 3,
};

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
      "  status [--root DIR] [--json]\n"
      "                      is this node protected: each engine's paths, covered or not,\n"
      "                      and the command that closes each gap\n"
      "  crio-conf [POLICY]  print CRI-O's crio.conf.d drop-in setting default_capabilities\n"
      "                      to the policy's ceiling\n"
      "  version             print the versions of capguard, libcap, jansson, libseccomp\n"
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

/* The one place that prints an error and picks the exit code.  */
static int __attribute__ ((noreturn)) fail (int code, const char *command, struct error *err)
{
  fflush (stdout);
  fprintf (stderr, "capguard: %s%s%s\n", command ? command : "", command ? ": " : "",
           error_msg (err));
  exit (code);
}

static int __attribute__ ((noreturn, format (printf, 1, 2))) usage_error (const char *fmt, ...)
{
  va_list ap;

  fputs ("capguard: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  exit (EXIT_USAGE);
}

/* Makes the command the start of argv, for a getopt pass over its own
   options.  */
static void
command_options (int *argc, char ***argv)
{
  *argc -= optind - 1;
  *argv += optind - 1;
  optind = 0; /* 0: glibc reinitialises getopt, permutation state included */
}

/* The runtime wrapper, from `capguard runtime` or a link named
   capguard-runtime: argv is the runtime's.  Never returns.  */
static int __attribute__ ((noreturn))
run_wrapper (const char *policy_path, const char *runtime, int argc, char **argv)
{
  cleanup_error struct error *err = NULL;
  cleanup_policy struct policy *policy
      = policy_load (policy_path, util_cap_last_cap (), POLICY_HOT, &err);
  int ret, exit_status = 0;

  if (policy == NULL && !mode_runtime_needs_policy (argc, argv))
    {
      /* A broken policy must not keep the engine from stopping, deleting
         or inspecting containers: only creating and exec fail closed.  */
      log_warning ("%s; passing the command through to the runtime unchanged", error_msg (err));
      error_free (&err);
    }
  else if (policy == NULL)
    {
      report_failure (NULL, "runtime", "runtime", NULL, error_msg (err));
      mode_runtime_log_failure (argc, argv, error_msg (err));
      fail (EXIT_USAGE, "runtime", err);
    }
  ret = mode_runtime (policy, runtime, argc, argv, &exit_status, &err);
  if (ret == 0)
    exit (exit_status);
  fail (ret == 1 ? EXIT_REFUSED : ret == -2 ? EXIT_USAGE : EXIT_BAD_INPUT, "runtime", err);
}

/* Not freed: the process exits right after its command, and the kernel
   reclaims the policy at once.  Kept here so that leak checkers see it
   reachable; volatile, so that the compiler keeps the store.  */
static struct policy *volatile kept_policy;

static struct policy *
load_policy (const char *path, const char *command)
{
  bool hot = strcmp (command, "precreate") == 0 || strcmp (command, "hook") == 0;
  cleanup_error struct error *err = NULL;
  struct policy *policy = policy_load (path, util_cap_last_cap (), hot ? POLICY_HOT : 0, &err);

  kept_policy = policy;
  if (policy == NULL)
    {
      if (strcmp (command, "precreate") == 0 || strcmp (command, "hook") == 0)
        report_failure (NULL, command, command, NULL, error_msg (err));
      fail (EXIT_USAGE, command, err);
    }
  return policy;
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
  struct policy *policy = NULL;
  const char *policy_path = NULL, *command;
  bool std_closed[3];
  int c, ret;

  /* A closed standard descriptor would be reused by the next open(): the
     policy or the log could become "stdout" (bubblewrap and sudo guard the
     same way).  Fill the gaps with /dev/null and remember them.  */
  for (c = 0; c < 3; c++)
    {
      std_closed[c] = fcntl (c, F_GETFD) < 0;
      if (std_closed[c] && open ("/dev/null", O_RDWR) != c)
        return EXIT_BAD_INPUT;
    }

  /* Invoked as the runtime itself: the whole command line is the runtime's.  */
  if (strcmp (basename (argv[0]), "capguard-runtime") == 0)
    run_wrapper (getenv ("CAPGUARD_POLICY") && getenv ("CAPGUARD_POLICY")[0]
                     ? getenv ("CAPGUARD_POLICY")
                     : NULL,
                 NULL, argc, argv);

  /* `+`: stop at the command, whose arguments are its own.  */
  /* Our own one-line messages, not getopt's.  */
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+:hV", options, NULL)) != -1)
    switch (c)
      {
      case 'p':
        if (optarg[0] == '\0')
          usage_error ("--policy needs a file name");
        policy_path = optarg;
        break;
      case 'h':
        fputs (usage_text, stdout);
        return EXIT_CONFORMING;
      case 'V':
        ret = mode_version (stdout, &err);
        return ret < 0 ? fail (EXIT_BAD_INPUT, "version", err) : EXIT_CONFORMING;
      case ':':
        usage_error ("option `%s` needs an argument", argv[optind - 1]);
      default:
        usage_error ("unknown option `%s`", argv[optind - 1]);
      }
  if (policy_path == NULL && getenv ("CAPGUARD_POLICY") && getenv ("CAPGUARD_POLICY")[0])
    policy_path = getenv ("CAPGUARD_POLICY");

  if (optind >= argc)
    usage_error ("no command given");
  command = argv[optind++];

  if (strcmp (command, "precreate") == 0)
    {
      if (optind != argc)
        usage_error ("precreate takes no arguments, got `%s`", argv[optind]);
      if (std_closed[STDIN_FILENO] || std_closed[STDOUT_FILENO])
        {
          make_error (&err, 0, "standard %s is closed",
                      std_closed[STDIN_FILENO] ? "input" : "output");
          fail (EXIT_BAD_INPUT, command, err);
        }
      policy = load_policy (policy_path, command);
      ret = mode_precreate (policy, STDIN_FILENO, STDOUT_FILENO, &err);
    }
  else if (strcmp (command, "check") == 0 || strcmp (command, "crio-conf") == 0)
    {
      /* Both take the policy as an optional argument.  */
      if (argc - optind > 1)
        usage_error ("%s takes at most one policy file, got `%s` too", command, argv[optind + 1]);
      if (optind < argc)
        policy_path = argv[optind];
      policy = load_policy (policy_path, command);
      if (strcmp (command, "check") == 0)
        ret = mode_check (policy, stdout, &err);
      else
        ret = mode_crio_conf (policy, stdout, &err);
    }
  else if (strcmp (command, "version") == 0)
    {
      if (optind != argc)
        usage_error ("version takes no arguments, got `%s`", argv[optind]);
      ret = mode_version (stdout, &err);
    }
  else if (strcmp (command, "help") == 0)
    {
      fputs (usage_text, stdout);
      return EXIT_CONFORMING;
    }
  else if (strcmp (command, "hook") == 0)
    {
      const char *stage = optind < argc ? argv[optind++] : NULL;

      if (optind != argc)
        usage_error ("hook takes one stage, got `%s` too", argv[optind]);
      if (stage && !mode_hook_stage_known (stage))
        usage_error ("unknown hook stage `%s` (createRuntime, prestart or poststart)", stage);
      if (std_closed[STDIN_FILENO])
        {
          make_error (&err, 0, "standard input is closed");
          fail (EXIT_BAD_INPUT, command, err);
        }
      policy = load_policy (policy_path, command);
      ret = mode_hook (policy, stage, STDIN_FILENO, &err);
    }
  else if (strcmp (command, "runtime") == 0)
    {
      const char *runtime = NULL;

      if (optind < argc && strncmp (argv[optind], "--runtime=", 10) == 0)
        runtime = argv[optind++] + 10;
      else if (optind < argc && strcmp (argv[optind], "--runtime") == 0)
        {
          if (optind + 1 >= argc)
            usage_error ("option `--runtime` needs an argument");
          runtime = argv[optind + 1];
          optind += 2;
        }
      if (optind < argc && strcmp (argv[optind], "--") == 0)
        optind++;
      if (optind >= argc)
        usage_error ("runtime needs the runtime's arguments: capguard runtime -- create ...");
      /* argv[optind - 1] stands in for the runtime's argv[0].  */
      run_wrapper (policy_path, runtime, argc - optind + 1, argv + optind - 1);
    }
  else if (strcmp (command, "install") == 0 || strcmp (command, "uninstall") == 0)
    {
      static const struct option install_options[] = {
        { "root", required_argument, NULL, 'r' },
        { "binary", required_argument, NULL, 'b' },
        { "config", required_argument, NULL, 'c' },
        { "dry-run", no_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
      };
      static const char *const engines[] = { "podman", "crio", "containerd", "docker", NULL };
      const char *root = NULL, *binary = NULL, *config = NULL, *engine;
      bool dry_run = false, known = false;
      size_t e;

      command_options (&argc, &argv);
      while ((c = getopt_long (argc, argv, ":", install_options, NULL)) != -1)
        switch (c)
          {
          case 'r':
            root = optarg;
            break;
          case 'b':
            binary = optarg;
            break;
          case 'c':
            config = optarg;
            break;
          case 'n':
            dry_run = true;
            break;
          case ':':
            usage_error ("option `%s` needs an argument", argv[optind - 1]);
          default:
            usage_error ("unknown %s option `%s`", command, argv[optind - 1]);
          }
      if (argc - optind != 1)
        usage_error ("%s takes one engine: podman, crio, containerd or docker", command);
      engine = argv[optind];
      for (e = 0; engines[e]; e++)
        known = known || strcmp (engine, engines[e]) == 0;
      if (!known)
        usage_error ("unknown engine `%s` (podman, crio, containerd or docker)", engine);
      policy = load_policy (policy_path, command);
      ret = mode_install (policy, engine, root, binary, config, dry_run,
                          strcmp (command, "uninstall") == 0, stdout, &err);
    }
  else if (strcmp (command, "report") == 0)
    {
      static const struct option report_options[] = {
        { "since", required_argument, NULL, 's' },
        { "suggest", no_argument, NULL, 'g' },
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
      };
      const char *since = NULL;
      bool suggest = false, json = false;

      command_options (&argc, &argv);
      while ((c = getopt_long (argc, argv, ":", report_options, NULL)) != -1)
        switch (c)
          {
          case 's':
            since = optarg;
            break;
          case 'g':
            suggest = true;
            break;
          case 'j':
            json = true;
            break;
          case ':':
            usage_error ("option `%s` needs an argument", argv[optind - 1]);
          default:
            usage_error ("unknown report option `%s`", argv[optind - 1]);
          }
      ret = mode_report (argv + optind, (size_t)(argc - optind), since, suggest, json, stdout,
                         &err);
      if (ret == -2)
        fail (EXIT_USAGE, command, err);
    }
  else if (strcmp (command, "status") == 0)
    {
      static const struct option status_options[] = {
        { "root", required_argument, NULL, 'r' },
        { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
      };
      cleanup_error struct error *load_err = NULL;
      const char *root = NULL;
      bool json = false;

      command_options (&argc, &argv);
      while ((c = getopt_long (argc, argv, ":", status_options, NULL)) != -1)
        switch (c)
          {
          case 'r':
            root = optarg;
            break;
          case 'j':
            json = true;
            break;
          case ':':
            usage_error ("option `%s` needs an argument", argv[optind - 1]);
          default:
            usage_error ("unknown status option `%s`", argv[optind - 1]);
          }
      if (optind != argc)
        usage_error ("status takes no arguments, got `%s`", argv[optind]);
      /* A policy that does not load is part of the answer, not an error.  */
      policy = policy_load (policy_path, util_cap_last_cap (), 0, &load_err);
      kept_policy = policy;
      ret = mode_status (policy, policy_path, load_err ? load_err->msg : NULL, root, json, stdout,
                         &err);
      if (ret == 1)
        return EXIT_REFUSED;
    }
  else if (strcmp (command, "explain") == 0)
    {
      static const struct option explain_options[] = {
        { "annotation", required_argument, NULL, 'a' },
        { "json", no_argument, NULL, 'j' },
        { "diff", no_argument, NULL, 'd' },
        { NULL, 0, NULL, 0 },
      };
      cleanup_free char **annotations = xmalloc0 (sizeof *annotations * argc);
      size_t n_annotations = 0;
      bool json = false, diff = false;

      /* The command's own options, after it.  */
      command_options (&argc, &argv);
      while ((c = getopt_long (argc, argv, "+:", explain_options, NULL)) != -1)
        switch (c)
          {
          case 'a':
            if (strchr (optarg, '=') == NULL || optarg[0] == '=')
              usage_error ("--annotation `%s`: expected KEY=VALUE", optarg);
            annotations[n_annotations++] = optarg;
            break;
          case 'j':
            json = true;
            break;
          case 'd':
            diff = true;
            break;
          case ':':
            usage_error ("option `%s` needs an argument", argv[optind - 1]);
          default:
            usage_error ("unknown explain option `%s`", argv[optind - 1]);
          }
      if (argc - optind != 1)
        usage_error ("explain takes one config file or bundle directory");
      policy = load_policy (policy_path, command);
      ret = mode_explain (policy, argv[optind], annotations, n_annotations, json, diff, stdout,
                          &err);
    }
  else
    usage_error ("unknown command `%s`", command);

  if (fflush (stdout) != 0 || ferror (stdout))
    {
      make_error (&err, 0, "cannot write to stdout");
      fail (EXIT_BAD_INPUT, command, err);
    }
  if (ret < 0)
    fail (EXIT_BAD_INPUT, command, err);
  if (ret == EXIT_REFUSED)
    fail (EXIT_REFUSED, command, err);
  return ret;
}
