/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "runtime_args.h"
#include "util.h"

/* runc 1.1's global options that take a value (runc --help); crun's
   --cgroup-manager too.  The boolean ones are listed so that anything else
   is known to be unknown.  */
static const char *const global_value[]
    = { "root", "log", "log-format", "criu", "rootless", "cgroup-manager", NULL };
static const char *const global_bool[]
    = { "debug", "systemd-cgroup", "help", "h", "version", "v", NULL };

/* The value-taking options of the subcommands capguard reads (runc create,
   run, exec, restore and checkpoint --help); the rest are booleans or
   positionals.  */
static const char *const command_value[] = { "bundle",
                                             "b",
                                             "console-socket",
                                             "pid-file",
                                             "preserve-fds",
                                             "console",
                                             "cwd",
                                             "env",
                                             "e",
                                             "user",
                                             "u",
                                             "additional-gids",
                                             "g",
                                             "process",
                                             "p",
                                             "process-label",
                                             "apparmor",
                                             "cap",
                                             "c",
                                             "cgroup",
                                             "image-path",
                                             "work-path",
                                             "parent-path",
                                             "manage-cgroups-mode",
                                             "empty-ns",
                                             "lsm-profile",
                                             "lsm-mount-context",
                                             "config",
                                             "f",
                                             NULL };

static bool
in_list (const char *name, size_t len, const char *const *list)
{
  size_t i;

  for (i = 0; list[i]; i++)
    if (strlen (list[i]) == len && strncmp (list[i], name, len) == 0)
      return true;
  return false;
}

/* An option word: `-x`, `--x`, `-x=v` or `--x=v` (Go's flag package takes
   one or two dashes).  Sets *NAME and *LEN to the name and *value to what
   follows `=`, or NULL.  */
static bool
option_word (const char *word, const char **name, size_t *len, const char **value)
{
  const char *eq;

  if (word[0] != '-' || word[1] == '\0' || strcmp (word, "--") == 0)
    return false;
  *name = word + (word[1] == '-' ? 2 : 1);
  eq = strchr (*name, '=');
  *len = eq ? (size_t)(eq - *name) : strlen (*name);
  *value = eq ? eq + 1 : NULL;
  return true;
}

static bool
is (const char *name, size_t len, const char *a, const char *b)
{
  return (strlen (a) == len && strncmp (name, a, len) == 0)
         || (b && strlen (b) == len && strncmp (name, b, len) == 0);
}

/* The runtime's global options (--root, --log, --log-format kept in RA);
   the index of the first word that is not one, or -1 with *ERR.  */
static int
global_options (int argc, char *const *argv, struct runtime_args *ra, struct error **err)
{
  int i;

  for (i = 1; i < argc; i++)
    {
      const char *name, *value;
      size_t len;

      if (!option_word (argv[i], &name, &len, &value))
        break;
      if (in_list (name, len, global_value))
        {
          if (value == NULL && ++i >= argc)
            return make_error (err, 0, "runtime option `%s` needs a value", argv[i - 1]);
          if (value == NULL)
            value = argv[i];
          if (is (name, len, "root", NULL))
            ra->root = value;
          else if (is (name, len, "log", NULL))
            ra->log = value;
          else if (is (name, len, "log-format", NULL))
            ra->log_format = value;
        }
      else if (!in_list (name, len, global_bool) && value == NULL)
        return make_error (
            err, 0, "unknown runtime option `%s`: cannot tell where the command starts", argv[i]);
      /* An unknown option with its value in the same word (`--platform=kvm`
         of a Docker runtime's runtimeArgs) cannot hide the command.  */
    }
  return i;
}

int
runtime_args_parse (int argc, char *const *argv, struct runtime_args *ra, struct error **err)
{
  bool exec_cmd, reorder;
  int i;

  memset (ra, 0, sizeof *ra);
  ra->command = ra->id = -1;
  ra->caps = xmalloc0 (sizeof *ra->caps * (argc + 1));
  ra->cap_joined = xmalloc0 (sizeof *ra->cap_joined * (argc + 1));

  if ((i = global_options (argc, argv, ra, err)) < 0)
    return -1;
  if (i < argc && strcmp (argv[i], "--") == 0)
    i++;
  if (i >= argc)
    return 0;
  ra->command = i;

  /* runc's create and run let options follow the id (urfave/cli reorders
     them); exec stops at the id, and what follows is the command to run.  */
  exec_cmd = strcmp (argv[i], "exec") == 0;
  reorder = !exec_cmd;
  for (i++; i < argc; i++)
    {
      const char *name, *value;
      size_t len;

      if (strcmp (argv[i], "--") == 0)
        {
          if (ra->id < 0 && i + 1 < argc)
            ra->id = i + 1;
          break;
        }
      if (!option_word (argv[i], &name, &len, &value))
        {
          if (ra->id < 0)
            ra->id = i;
          if (!reorder)
            break;
          continue;
        }
      if (!in_list (name, len, command_value))
        continue;
      if (is (name, len, "cap", "c") && exec_cmd)
        {
          ra->cap_joined[ra->n_caps] = value != NULL;
          ra->caps[ra->n_caps++] = i;
        }
      if (value == NULL && ++i >= argc)
        return make_error (err, 0, "option `%s` needs a value", argv[i - 1]);
      if (value == NULL)
        value = argv[i];
      if (is (name, len, "bundle", "b") && !exec_cmd)
        ra->bundle = value;
      else if (is (name, len, "config", "f") && !exec_cmd)
        ra->config = value;
      else if (is (name, len, "process", "p") && exec_cmd)
        ra->process = value;
    }
  return 0;
}

const char *
runtime_args_cap_value (const struct runtime_args *ra, char *const *argv, size_t i)
{
  const char *w = argv[ra->caps[i]];

  return ra->cap_joined[i] ? strchr (w, '=') + 1 : argv[ra->caps[i] + 1];
}

void
runtime_args_release (struct runtime_args *ra)
{
  free (ra->caps);
  free (ra->cap_joined);
  ra->caps = NULL;
  ra->cap_joined = NULL;
}
