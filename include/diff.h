/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_DIFF_H
#define CAPGUARD_DIFF_H

#include <stdio.h>

#include "error.h"

/* Prints a unified diff of A and B (texts, split into lines in place) to
   OUT, as `diff -u` would with 3 lines of context, headed `--- NAME` and
   `+++ NAME (capguard)`; nothing but the header when they are the same.
   By longest common subsequence, O(lines of A times lines of B): configs
   are a few thousand lines at most, and more than DIFF_MAX_LINES is an
   error.  */
#define DIFF_MAX_LINES 20000
int diff_unified (FILE *out, const char *name, char *a, char *b, struct error **err);

#endif
