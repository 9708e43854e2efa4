/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>

#include <seccomp.h>

#include "seccomp_util.h"

void
seccomp_library_version (char *buf, size_t len)
{
  const struct scmp_version *v = seccomp_version ();

  snprintf (buf, len, "%u.%u.%u", v->major, v->minor, v->micro);
}
