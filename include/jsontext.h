/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_JSONTEXT_H
#define CAPGUARD_JSONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

/* jansson keeps no source positions after parsing, so errors found while
   validating a parsed document are located by walking the original text
   along the same path.  The text must already have parsed.  */
struct jsontext_step
{
  const char *key; /* object member, or NULL for an array element */
  size_t index;
};

/* Byte offset of the value at PATH (or of its key when WANT_KEY and the last
   step is a key); -1 when the path is not in the text.  */
long jsontext_locate (const char *text, size_t len, const struct jsontext_step *path, size_t n,
                      bool want_key);
/* Byte span [*START, *END) of the value at PATH; -1 when not there.  */
int jsontext_span (const char *text, size_t len, const struct jsontext_step *path, size_t n,
                   size_t *start, size_t *end);

/* 1-based line and column (in bytes) of OFFSET.  */
void jsontext_line_col (const char *text, size_t offset, int *line, int *col);

/* S as a JSON string, or null when S is NULL.  */
json_t *jsontext_string_or_null (const char *s);

/* The names of the capabilities in SET, as a JSON array of strings.  */
json_t *jsontext_cap_names (uint64_t set);

/* Appends the formatted text to ARRAY as a JSON string.  */
void jsontext_append_printf (json_t *array, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Parses BUF (LEN bytes) as one JSON document, rejecting duplicate keys, and
   requires an object at the top.  Errors read `SOURCE:LINE:COLUMN: text`.  */
json_t *jsontext_load_object (const char *buf, size_t len, const char *source, struct error **err);

/* Whether Go's encoding/json would take KEY for the struct field FIELD:
   ASCII case folded, and U+017F as `s`, U+212A as `k`.  */
bool jsontext_go_fold_equal (const char *key, const char *field);

/* Refuses (WHERE prefixes the message) a key of OBJ that READER, a Go
   program ("runc"), would read as
   one of FIELDS (NULL-terminated) while spelled differently: what a Go
   program reads and what capguard reads must be the same member.  */
int jsontext_check_case_variants (json_t *obj, const char *const *fields, const char *where,
                                  const char *reader, struct error **err);

#endif
