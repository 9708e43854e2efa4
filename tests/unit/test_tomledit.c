/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "tap.h"
#include "tomledit.h"
#include "util.h"

static const char *const runc_options[]
    = { "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "runc", "options" };

static const struct tomledit_key key = {
  .table = runc_options, .depth = 6, .key = "BinaryName", .value = "\"/cg/capguard-runtime\""
};

/* set then revert gives back the input, byte for byte; set twice changes
   nothing the second time.  */
static int
round_trip (const char *in, const char *want)
{
  cleanup_error struct error *err = NULL;
  cleanup_free char *out = NULL, *again = NULL, *back = NULL;

  if (tomledit_set (in, &key, &out, &err) < 0)
    {
      fprintf (stderr, "# %s\n", err->msg);
      return -1;
    }
  EXPECT_STR (out, want);
  EXPECT (tomledit_set (out, &key, &again, &err) == 0 && again == NULL);
  EXPECT (tomledit_revert (out, &back, &err) == 0);
  EXPECT_STR (back, in);
  return 0;
}

static int
test_key_added_under_header (void)
{
  return round_trip ("version = 2\n"
                     "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
                     "    SystemdCgroup = true\n",
                     "version = 2\n"
                     "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
                     "  BinaryName = \"/cg/capguard-runtime\"  " TOMLEDIT_MARK "\n"
                     "    SystemdCgroup = true\n");
}

static int
test_quoting_styles_and_spaces (void)
{
  /* Literal and basic quoted keys, spaces around dots: the same table.  */
  return round_trip (
      "version = 2\n"
      "[ plugins . 'io.containerd.grpc.v1.cri' . containerd.runtimes.\"runc\".options ]"
      "  # c\n",
      "version = 2\n"
      "[ plugins . 'io.containerd.grpc.v1.cri' . containerd.runtimes.\"runc\".options ]"
      "  # c\n"
      "  BinaryName = \"/cg/capguard-runtime\"  " TOMLEDIT_MARK "\n");
}

static int
test_existing_key_saved (void)
{
  return round_trip (
      "version = 2\n"
      "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
      "  BinaryName = \"/usr/bin/runc\" # vendor\n"
      "  Root = \"/run/runc\"\n",
      "version = 2\n"
      "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n" TOMLEDIT_SAVED
      "  BinaryName = \"/usr/bin/runc\" # vendor\n"
      "  BinaryName = \"/cg/capguard-runtime\"  " TOMLEDIT_MARK "\n"
      "  Root = \"/run/runc\"\n");
}

static int
test_table_appended (void)
{
  return round_trip ("version = 2\n[plugins.x]\n  a = 1\n",
                     "version = 2\n[plugins.x]\n  a = 1\n\n" TOMLEDIT_BEGIN "\n"
                     "[plugins.\"io.containerd.grpc.v1.cri\"."
                     "containerd.runtimes.runc.options]\n"
                     "  BinaryName = \"/cg/capguard-runtime\"\n" TOMLEDIT_END "\n");
}

static int
test_headers_inside_values_ignored (void)
{
  /* A multi-line string and a multi-line array holding what looks like
     the header are values, not tables.  */
  return round_trip ("version = 2\n"
                     "note = \"\"\"\n"
                     "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
                     "\"\"\"\n"
                     "list = [\n"
                     "  [1, 2],\n"
                     "]\n"
                     "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
                     "  Root = '/x'\n",
                     "version = 2\n"
                     "note = \"\"\"\n"
                     "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
                     "\"\"\"\n"
                     "list = [\n"
                     "  [1, 2],\n"
                     "]\n"
                     "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
                     "  BinaryName = \"/cg/capguard-runtime\"  " TOMLEDIT_MARK "\n"
                     "  Root = '/x'\n");
}

static int
test_refused (void)
{
  static const struct
  {
    const char *text, *why;
  } cases[] = {
    { "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes]\nrunc = { options = {} }\n",
      "line 2: the table is also set as a key of a parent table" },
    { "[plugins.\"io.containerd.grpc.v1.cri\".containerd]\nruntimes.runc.options.BinaryName = "
      "\"x\"\n",
      "line 2: the table is also set as a key of a parent table" },
    { "plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options.X = 1\n",
      "line 1: the table is also set as a key of a parent table" },
    { "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n[plugins.\"io."
      "containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n",
      "line 2: the table is defined twice" },
    { "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\nBinaryName = "
      "1\nBinaryName = 2\n",
      "line 3: `BinaryName` is set twice" },
    { "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\nBinaryName.x = "
      "1\n",
      "line 2: `BinaryName` is a dotted key" },
    { "x = [1,\n", "a string or array is not closed at the end of the file" },
    { "[unclosed\n", "line 1: line `[unclosed`: cannot read this table header" },
    { "= 1\n", "line 1: line `= 1`: cannot read this key" },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_error struct error *err = NULL;
      cleanup_free char *out = NULL;
      EXPECT (tomledit_set (cases[i].text, &key, &out, &err) < 0);
      EXPECT (out == NULL);
      if (strncmp (err->msg, cases[i].why, strlen (cases[i].why)) != 0)
        EXPECT_STR (err->msg, cases[i].why);
    }
  return 0;
}

static int
test_get_and_top_value (void)
{
  cleanup_error struct error *err = NULL;
  cleanup_free char *v = NULL, *version = NULL, *none = NULL;
  bool has_table = false;
  const char *text = "version = 3 # c\n[plugins.\"io.containerd.grpc.v1.cri\".containerd."
                     "runtimes.runc.options]\nBinaryName = \"/a # b\"   # comment\n";

  EXPECT (tomledit_get (text, &key, &v, &has_table, &err) == 0);
  EXPECT_STR (v, "\"/a # b\"");
  EXPECT (has_table);
  version = tomledit_top_value (text, "version", &err);
  EXPECT_STR (version, "3");
  none = tomledit_top_value ("[t]\nversion = 2\n", "version", &err);
  EXPECT (none == NULL && err == NULL);
  return 0;
}

static int
test_revert_without_edits (void)
{
  cleanup_error struct error *err = NULL;
  cleanup_free char *out = NULL;

  EXPECT (tomledit_revert ("a = 1\n", &out, &err) == 0 && out == NULL);
  EXPECT (tomledit_revert (TOMLEDIT_BEGIN "\n[x]\n", &out, &err) < 0);
  return 0;
}

static int
test_get_strings (void)
{
  static const char *const engine[] = { "crio", "runtime" };
  const struct tomledit_key k = { .table = engine, .depth = 2, .key = "hooks_dir" };
  cleanup_error struct error *err = NULL;
  json_auto_t *list = NULL, *none = NULL;
  cleanup_free char *dump = NULL;

  EXPECT (tomledit_get_strings ("[crio.runtime]\nhooks_dir = [\n  \"/a\",  # one\n\n  '/b\\c', "
                                "\"q\\\"d\"\n]\nx = 1\n",
                                &k, &list, &err)
          == 0);
  dump = json_dumps (list, JSON_COMPACT);
  EXPECT_STR (dump, "[\"/a\",\"/b\\\\c\",\"q\\\"d\"]");
  EXPECT (tomledit_get_strings ("[crio]\nhooks_dir = 1\n", &k, &none, &err) == 0 && none == NULL);
  EXPECT (tomledit_get_strings ("[crio.runtime]\nhooks_dir = [1]\n", &k, &none, &err) < 0);
  EXPECT_STR (err->msg, "line 2: `hooks_dir` is not an array of strings");
  return 0;
}

int
main (void)
{
  static const struct tap_test tests[] = {
    { "a key is added under its table's header", test_key_added_under_header },
    { "quoting styles and spaces name the same table", test_quoting_styles_and_spaces },
    { "an existing value is kept as a comment and comes back", test_existing_key_saved },
    { "a missing table is appended in a block", test_table_appended },
    { "headers inside multi-line values are not tables", test_headers_inside_values_ignored },
    { "unsafe files are refused with the line", test_refused },
    { "get and the top-level value", test_get_and_top_value },
    { "revert without edits", test_revert_without_edits },
    { "an array of strings over several lines", test_get_strings },
  };
  return tap_run (tests, sizeof tests / sizeof tests[0]);
}
