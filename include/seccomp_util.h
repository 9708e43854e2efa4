/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_SECCOMP_UTIL_H
#define CAPGUARD_SECCOMP_UTIL_H

#include <stddef.h>

/* Every libseccomp call lives in seccomp.c; no scmp_* type leaves it.  */

/* "MAJOR.MINOR.MICRO" of the libseccomp capguard runs with.  */
void seccomp_library_version (char *buf, size_t len);

#endif
