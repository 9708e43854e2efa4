/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "command.h"
#include "engine.h"
#include "util.h"

/* capguard install ENGINE and uninstall ENGINE: the registration of one
   engine (engine.h), under a root directory (a node's /, or /host from a
   DaemonSet), each file written atomically and only when it changes.  */

/* ROOT without trailing slashes ("" for /); a usage error when it is not
   absolute.  */
int
command_root (const char *root, char **out, struct error **err)
{
  char *copy;

  if (root && root[0] != '/')
    return command_usage (err, "--root `%s` is not an absolute path", root);
  copy = xstrdup (root ? root : "/");
  while (copy[0] && copy[strlen (copy) - 1] == '/')
    copy[strlen (copy) - 1] = '\0';
  *out = copy;
  return 0;
}

int
command_install (struct command_ctx *ctx, struct error **err)
{
  static const struct option options[] = {
    { "root", required_argument, NULL, 'r' },
    { "binary", required_argument, NULL, 'b' },
    { "config", required_argument, NULL, 'c' },
    { "dry-run", no_argument, NULL, 'n' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_free char *root = NULL, *self = NULL, *there = NULL, *dir = NULL;
  const char *root_arg = NULL, *binary = NULL, *config = NULL;
  const struct engine_ops *e;
  struct engine_node node = { .out = stdout };
  bool dry_run = false, uninstall = strcmp (ctx->name, "uninstall") == 0;
  int c, r;

  while ((c = command_getopt (ctx, options, err)) != -1)
    switch (c)
      {
      case 'r':
        root_arg = optarg;
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
      default:
        return COMMAND_USAGE;
      }
  if (ctx->argc - optind != 1)
    return command_usage (err, "%s takes one engine: " ENGINES_NAMES_TEXT, ctx->name);
  if ((e = engines_by_name (ctx->argv[optind])) == NULL)
    return command_usage (err, "unknown engine `%s` (" ENGINES_NAMES_TEXT ")", ctx->argv[optind]);
  if ((r = command_root (root_arg, &root, err)) < 0)
    return r;
  if (config && (!e->takes_config || config[0] != '/'))
    return command_usage (err, "%s --config `%s`: %s", ctx->name, config,
                          e->takes_config ? "not an absolute path"
                                          : "this engine's files are at fixed places");
  if (binary == NULL)
    {
      self = realpath ("/proc/self/exe", NULL);
      if (self == NULL)
        return make_error (err, errno, "cannot find capguard's own path");
      binary = self;
    }
  if (binary[0] != '/')
    return command_usage (err, "--binary `%s` is not an absolute path", binary);
  /* The files name the binary: it must be where they say.  */
  xasprintf (&there, "%s%s", root, binary);
  if (!uninstall && access (there, X_OK) < 0)
    return make_error (err, errno, "capguard is not at `%s` (copy it there first)", there);
  {
    cleanup_free char *copy = xstrdup (binary);
    dir = xstrdup (dirname (copy));
  }
  if ((node.policy = command_policy (ctx, NULL, err)) == NULL)
    return COMMAND_INVALID;
  node.root = root;
  node.config = config;
  node.binary = binary;
  node.wrapper_dir = dir;
  return engine_register (e, &node, uninstall, dry_run, stdout, err);
}
