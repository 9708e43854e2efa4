/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_TOMLEDIT_H
#define CAPGUARD_TOMLEDIT_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* A reversible edit of one key in an engine's TOML file (containerd's
   config.toml), which leaves every other byte as it was.  capguard never
   re-serialises a file: toml.c reads it, with where each table and value
   is written, and the edit changes or adds exactly one line, in whatever
   form the file gives the table (a [header], dotted keys, an inline
   table).  Every edit is read back before it is returned: a file whose
   tree is not the old one plus the key is refused, never written.

   Every line the edit adds ends with TOMLEDIT_MARK; a line it replaces is
   kept as a comment beginning with TOMLEDIT_SAVED; a table it appends sits
   between TOMLEDIT_BEGIN and TOMLEDIT_END lines.  tomledit_revert undoes
   exactly that, so an uninstall gives back the file as it was.  */

#define TOMLEDIT_MARK "# capguard-install"
#define TOMLEDIT_SAVED "# capguard-saved: "
#define TOMLEDIT_BEGIN "# capguard-install begin: `capguard uninstall` removes this block"
#define TOMLEDIT_END "# capguard-install end"

struct tomledit_key
{
  const char *const *table; /* the table's dotted path, unquoted keys */
  size_t depth;             /* number of keys in TABLE */
  const char *key;          /* the key to set in it */
  const char *value;        /* its TOML value, as written (e.g. "\"/usr/bin/x\"") */
};

/* TEXT (NAME in errors) with K->key set to K->value in K->table: the
   key's line replaced (the original kept as a comment), a line added in
   the table's own form, or a table appended.  *OUT is NULL when TEXT
   already holds that value.  */
int tomledit_set (const char *text, const char *name, const struct tomledit_key *k, char **out,
                  struct error **err);

/* TEXT without any edit tomledit_set made; *OUT NULL when there is none.  */
int tomledit_revert (const char *text, char **out, struct error **err);

#endif
