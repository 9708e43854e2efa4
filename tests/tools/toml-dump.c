/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The tests' window on capguard's TOML reader and editor, for holding them
   to Python's tomllib:
     toml-dump [FILE]                 the document, in toml-test's tagged JSON
     toml-dump --set KEY VALUE [FILE] the text with KEY (a JSON array of
                                      strings: the table's path, then the
                                      key) set to VALUE (TOML text)
     toml-dump --revert [FILE]        the text without capguard's edits
   FILE defaults to standard input.  An error goes to standard error, exit 1.  */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "toml.h"
#include "tomledit.h"
#include "util.h"

static int
set (const char *text, const char *name, const char *key_json, const char *value,
     struct error **err)
{
  json_auto_t *path = json_loads (key_json, 0, NULL);
  const char *table[32];
  struct tomledit_key k = { .table = table, .value = value };
  cleanup_free char *out = NULL;
  size_t i, n = json_array_size (path);

  if (n < 1 || n > 32)
    return make_error (err, 0, "--set: KEY is a JSON array of 1 to 32 strings");
  for (i = 0; i < n; i++)
    if ((table[i] = json_string_value (json_array_get (path, i))) == NULL)
      return make_error (err, 0, "--set: KEY is a JSON array of strings");
  k.depth = n - 1;
  k.key = table[n - 1];
  if (tomledit_set (text, name, &k, &out, err) < 0)
    return -1;
  fputs (out ? out : text, stdout);
  return 0;
}

int
main (int argc, char **argv)
{
  cleanup_error struct error *err = NULL;
  cleanup_free char *text = NULL, *out = NULL;
  struct toml_node *root = NULL;
  const char *mode = "dump", *key = NULL, *value = NULL, *name;
  size_t len;
  int i = 1, fd = 0, r;

  if (i < argc && strcmp (argv[i], "--set") == 0 && i + 2 < argc)
    {
      mode = "set";
      key = argv[i + 1];
      value = argv[i + 2];
      i += 3;
    }
  else if (i < argc && strcmp (argv[i], "--revert") == 0)
    {
      mode = "revert";
      i++;
    }
  name = i < argc ? argv[i] : "stdin";
  if (i < argc && (fd = open (argv[i], O_RDONLY | O_CLOEXEC)) < 0)
    {
      perror (argv[i]);
      return 2;
    }
  if (util_read_fd (fd, CAPGUARD_MAX_CONFIG, name, &text, &len, &err) < 0)
    r = -1;
  else if (strcmp (mode, "set") == 0)
    r = set (text, name, key, value, &err);
  else if (strcmp (mode, "revert") == 0)
    {
      r = tomledit_revert (text, &out, &err);
      if (r == 0)
        fputs (out ? out : text, stdout);
    }
  else if ((r = toml_parse (text, len, name, &root, &err)) == 0)
    {
      json_t *doc = toml_to_tagged_json (root);
      out = json_dumps (doc, JSON_SORT_KEYS | JSON_COMPACT);
      puts (out);
      json_decref (doc);
      toml_free (root);
    }
  if (r < 0)
    {
      fprintf (stderr, "%s\n", error_msg (err));
      return 1;
    }
  return 0;
}
