/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_RUNTIME_ARGS_H
#define CAPGUARD_RUNTIME_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* What capguard needs from an OCI runtime's command line (runc's, and
   crun's which follows it): `RUNTIME [GLOBAL OPTIONS] COMMAND [OPTIONS] [ID]`.
   Indexes are into the argv given to runtime_args_parse; -1 when absent.  */
struct runtime_args
{
  int command;            /* the subcommand: create, run, exec, ... */
  const char *root;       /* --root */
  const char *log;        /* --log */
  const char *log_format; /* --log-format: "text" (default) or "json" */
  const char *bundle;     /* create/run --bundle, -b */
  const char *config;     /* crun create/run --config, -f: the config, instead of the bundle's */
  const char *process;    /* exec --process, -p */
  int id;                 /* the container id */
  int *caps;              /* exec --cap, -c: index of each flag's first word */
  bool *cap_joined;       /* ...and whether its value is in the same word (--cap=X) */
  size_t n_caps;
};

/* Parses ARGV (ARGC words, ARGV[0] the runtime's name).  A global option
   capguard does not know is an error: it cannot tell whether it takes a
   value, and so where the subcommand is.  */
int runtime_args_parse (int argc, char *const *argv, struct runtime_args *ra, struct error **err);
void runtime_args_release (struct runtime_args *ra);

/* The value of --cap at index I of RA, within ARGV.  */
const char *runtime_args_cap_value (const struct runtime_args *ra, char *const *argv, size_t i);

#endif
