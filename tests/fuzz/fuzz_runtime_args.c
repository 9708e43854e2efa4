/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The wrapper's argv parser: the input is NUL-separated words.  */
#include <string.h>

#include "runtime_args.h"
#include "util.h"

int LLVMFuzzerTestOneInput (const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput (const unsigned char *data, size_t size)
{
  cleanup_error struct error *err = NULL;
  cleanup_free char *copy = xmalloc0 (size + 1);
  cleanup_free char **argv = xmalloc0 (sizeof *argv * (size + 2));
  struct runtime_args ra;
  int argc = 0;
  size_t i = 0;

  memcpy (copy, data, size);
  while (i <= size)
    {
      argv[argc++] = copy + i;
      i += strlen (copy + i) + 1;
    }
  if (runtime_args_parse (argc, argv, &ra, &err) == 0)
    {
      /* Whatever was found lies inside argv.  */
      if (ra.command >= argc || ra.id >= argc)
        __builtin_trap ();
      for (i = 0; i < ra.n_caps; i++)
        if (runtime_args_cap_value (&ra, argv, i) == NULL)
          __builtin_trap ();
    }
  runtime_args_release (&ra);
  return 0;
}
