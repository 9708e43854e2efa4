/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_SECCOMP_UTIL_H
#define CAPGUARD_SECCOMP_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "jsontext.h"

/* Every libseccomp call lives in seccomp_util.c; no scmp_* type leaves it.  */

/* "MAJOR.MINOR.MICRO" of the libseccomp capguard runs with.  */
void seccomp_library_version (char *buf, size_t len);

#define SECCOMP_PATH_MAX 6

/* Checks an OCI linux.seccomp object: known keys and types, and every
   action, comparison, architecture and syscall name known to libseccomp.
   On failure *err says what, and PATH (DEPTH steps) where in PROFILE: at
   the key itself when *AT_KEY.  */
int seccomp_profile_check (const json_t *profile, struct jsontext_step path[SECCOMP_PATH_MAX],
                           size_t *depth, bool *at_key, struct error **err);

/* PROFILE without its "comment" keys, ready for a config.  */
json_t *seccomp_profile_for_config (const json_t *profile);

/* Why the OCI linux.seccomp object SECCOMP (NULL: none) lets a process
   create a user namespace (unshare or clone with CLONE_NEWUSER, or clone3,
   whose flags seccomp cannot read), or NULL when it does not.  *CALL (when
   CALL is not NULL) names the call as data: "none" (no profile), "unshare",
   "clone" or "clone3"; NULL when it does not.  */
const char *seccomp_profile_opens_userns (const json_t *seccomp, const char **call);

/* Rewrites PROFILE so that unshare and clone with CLONE_NEWUSER fail with
   EPERM and clone3 with ENOSYS, every other rule kept, and checks the
   result with libseccomp.  */
int seccomp_profile_deny_userns (json_t *profile, struct error **err);

#endif
