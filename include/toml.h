/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_TOML_H
#define CAPGUARD_TOML_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "error.h"

/* A TOML 1.0.0 reader for the engines' configuration files (containerd's
   config.toml, CRI-O's crio.conf and drop-ins, containers.conf).  It
   accepts and refuses what Python's tomllib does (the tests hold it to
   that, on the corpus and on generated documents), and keeps, for every
   table and value, where it is written, so that tomledit.c can change one
   key and leave every other byte alone.  capguard never writes TOML by
   serialising a tree.

   Strings holding a NUL character are refused: no engine setting needs
   one, and C strings could not hold them.  */

enum toml_type
{
  TOML_TABLE,
  TOML_ARRAY,
  TOML_STRING,
  TOML_INTEGER,
  TOML_FLOAT,
  TOML_BOOLEAN,
  TOML_DATETIME,       /* offset date-time */
  TOML_DATETIME_LOCAL, /* local date-time */
  TOML_DATE_LOCAL,
  TOML_TIME_LOCAL,
};

/* How a table came to be: what an edit may add to it, and where.  */
enum toml_origin
{
  TOML_ROOT,
  TOML_VALUE,    /* a key = value that is not a table, or a static array */
  TOML_HEADER,   /* [table] */
  TOML_ELEMENT,  /* an element [[array.of.tables]] made */
  TOML_IMPLICIT, /* a parent a header named on its way ([a.b] makes a) */
  TOML_DOTTED,   /* made by dotted keys (a.b = 1 makes a) */
  TOML_INLINE,   /* { ... }, or a table inside one, or inside a static array */
};

/* [START, END) bytes of the text.  */
struct toml_span
{
  size_t start, end;
};

struct toml_node
{
  enum toml_type type;
  enum toml_origin origin;
  char *key; /* in its parent table; NULL in an array and for the root */
  struct toml_node *parent;
  struct toml_node **items; /* tables: in the order written; arrays: the elements */
  size_t n_items, cap_items;
  json_t *index; /* tables: key -> position in ITEMS */
  char *str;     /* a string's value; another scalar's text as written */
  size_t str_len;
  long long integer;
  double real;
  bool boolean;
  bool explicit_nest; /* may not be declared again (tomllib's Flags.EXPLICIT_NEST) */
  bool frozen;        /* an inline table or static array: nothing may be added */
  /* Where it is written.  A value (and an inline table): its key/value
     statement, its value.  A HEADER or ELEMENT table: its header line.  A
     DOTTED table: the first statement that made it.  */
  size_t line;
  struct toml_span stmt;  /* whole lines, with their newline */
  struct toml_span value; /* the value's own text */
  /* DOTTED tables and values: the table whose section holds the statement
     (the root, or a HEADER or ELEMENT table).  */
  struct toml_node *section;
  /* DOTTED, HEADER, ELEMENT and ROOT tables: the end of the last statement
     in their own section that added a key to them.  */
  size_t last_end;
  struct toml_span last_stmt; /* ...that statement */
};

/* Parses TEXT (LEN bytes; NAME in errors) into *ROOT.  An error names the
   line and column, as `NAME:LINE:COLUMN: message`.  */
int toml_parse (const char *text, size_t len, const char *name, struct toml_node **root,
                struct error **err);
void toml_free (struct toml_node *node);
static inline void
toml_freep (struct toml_node **node)
{
  toml_free (*node);
}
#define cleanup_toml __attribute__ ((cleanup (toml_freep)))

/* The node at PATH (DEPTH keys) below TABLE, or NULL.  An array of tables
   on the way means its last element, as a header would.  */
const struct toml_node *toml_get (const struct toml_node *table, const char *const *path,
                                  size_t depth);
/* The item KEY of TABLE, or NULL.  */
const struct toml_node *toml_child (const struct toml_node *table, const char *key);
/* The string at PATH below TABLE, or NULL when it is absent or not a
   string; *PRESENT (may be NULL) says whether anything is there.  */
const char *toml_get_string (const struct toml_node *table, const char *const *path, size_t depth,
                             bool *present);

/* NODE as JSON in toml-test's tagged form ({"type": "string", "value":
   "..."} for every scalar), which the tests compare with tomllib's.  */
json_t *toml_to_tagged_json (const struct toml_node *node);

/* The text of a TOML value for the string S (basic string, escaped as
   needed).  */
char *toml_quote (const char *s);

/* A key for a header or dotted key: bare when it can be, else quoted.  */
char *toml_quote_key (const char *key);

#endif
