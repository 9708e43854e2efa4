/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_TOMLEDIT_H
#define CAPGUARD_TOMLEDIT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

/* A reversible, line-based edit of one key in an engine's TOML file
   (containerd's config.toml), which leaves every other byte as it was.
   capguard has no TOML library (Debian's are not in its dependency list)
   and needs none: it never re-serialises the file.  It understands enough
   of TOML to find table headers, keys, strings and multi-line values, and
   refuses a file where the key could also be set somewhere it does not
   look (an inline table, a dotted key in a parent table, a second header).

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
  const char *preamble;     /* lines written before an appended table (may be NULL) */
};

/* The value of top-level KEY in TEXT, as written (NULL when absent).  */
char *tomledit_top_value (const char *text, const char *key, struct error **err);

/* The value of K->key in K->table, as written, or NULL; *HAS_TABLE
   whether the table has a header of its own.  Fails on a file it cannot
   read safely.  */
int tomledit_get (const char *text, const struct tomledit_key *k, char **value, bool *has_table,
                  struct error **err);

/* The strings of the array K->key holds in K->table (K->value unused), as
   a JSON array in *OUT, or NULL when the key is absent.  Anything but an
   array of plain strings is an error.  */
int tomledit_get_strings (const char *text, const struct tomledit_key *k, json_t **out,
                          struct error **err);

/* The names of the tables directly under PREFIX (DEPTH keys) that have
   headers of their own or below them, in file order: the runtimes of
   [plugins."io.containerd.grpc.v1.cri".containerd.runtimes], say.  */
int tomledit_tables (const char *text, const char *const *prefix, size_t depth, json_t **names,
                     struct error **err);

/* TEXT with K->key set to K->value in K->table: the key's line replaced
   (the original kept as a comment), added under the table's header, or the
   table appended at the end.  *OUT is NULL when TEXT already holds it.  */
int tomledit_set (const char *text, const struct tomledit_key *k, char **out, struct error **err);

/* TEXT without any edit tomledit_set made; *OUT NULL when there is none.  */
int tomledit_revert (const char *text, char **out, struct error **err);

#endif
