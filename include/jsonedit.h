/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_JSONEDIT_H
#define CAPGUARD_JSONEDIT_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"

/* TEXT (NAME in errors) with the member KEY of the object at PATH (DEPTH
   keys; objects made on the way) set to VALUE, every other byte kept.
   *OUT is NULL when it already holds VALUE.  The result is read back:
   one that is not the old document with exactly that change is refused.  */
int jsonedit_set (const char *text, const char *name, const char *const *path, size_t depth,
                  const char *key, json_t *value, char **out, struct error **err);

/* TEXT without the member KEY of the object at PATH; *OUT NULL when there
   is no such member.  */
int jsonedit_remove (const char *text, const char *name, const char *const *path, size_t depth,
                     const char *key, char **out, struct error **err);

#endif
