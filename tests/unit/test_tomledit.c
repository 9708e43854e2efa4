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

  if (tomledit_set (in, "t.toml", &key, &out, &err) < 0)
    {
      fprintf (stderr, "# %s\n", err->msg);
      return -1;
    }
  EXPECT_STR (out, want);
  EXPECT (tomledit_set (out, "t.toml", &key, &again, &err) == 0 && again == NULL);
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
test_inline_and_dotted_forms (void)
{
  /* An inline handler: the line saved, the key added inside the braces.  */
  if (round_trip ("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes]\n"
                  "runc = { runtime_type = \"io.containerd.runc.v2\", options = { SystemdCgroup = "
                  "true } } # c\n",
                  "version = "
                  "2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes]\n" TOMLEDIT_SAVED
                  "runc = { runtime_type = \"io.containerd.runc.v2\", options = { "
                  "SystemdCgroup = true } } # c\n"
                  "runc = { runtime_type = \"io.containerd.runc.v2\", options = { SystemdCgroup = "
                  "true, BinaryName = \"/cg/capguard-runtime\" } }  " TOMLEDIT_MARK "\n")
      < 0)
    return -1;
  /* Dotted keys under the runc header: one more after the last.  */
  if (round_trip ("version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
                  "  runtime_type = 'io.containerd.runc.v2'\n  options.SystemdCgroup = true\n"
                  "[x]\n",
                  "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
                  "  runtime_type = 'io.containerd.runc.v2'\n  options.SystemdCgroup = true\n"
                  "  options.BinaryName = \"/cg/capguard-runtime\"  " TOMLEDIT_MARK "\n[x]\n")
      < 0)
    return -1;
  /* A whole path of dotted keys from the top.  */
  return round_trip (
      "plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options.X = 1\n",
      "plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options.X = 1\n"
      "plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options.BinaryName = "
      "\"/cg/capguard-runtime\"  " TOMLEDIT_MARK "\n");
}

static int
test_line_endings (void)
{
  /* CRLF lines stay CRLF; a file without a final newline gets none.  */
  if (round_trip ("version = 2\r\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc."
                  "options]\r\n  BinaryName = \"\"\r\n",
                  "version = 2\r\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc."
                  "options]\r\n" TOMLEDIT_SAVED "  BinaryName = \"\"\r\n  BinaryName = "
                  "\"/cg/capguard-runtime\"  " TOMLEDIT_MARK "\r\n")
      < 0)
    return -1;
  if (round_trip ("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
                  "  BinaryName = ''",
                  "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]"
                  "\n" TOMLEDIT_SAVED
                  "  BinaryName = ''\n  BinaryName = \"/cg/capguard-runtime\"  " TOMLEDIT_MARK)
      < 0)
    return -1;
  return round_trip (
      "version = 2",
      "version = 2\n\n" TOMLEDIT_BEGIN "\n[plugins.\"io.containerd.grpc.v1.cri\"."
      "containerd.runtimes.runc.options]\n  BinaryName = \"/cg/capguard-runtime\"\n" TOMLEDIT_END);
}

static int
test_refused (void)
{
  static const struct
  {
    const char *text, *why;
  } cases[] = {
    { "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\nBinaryName = "
      "\"\"\"\nx\"\"\"\n",
      "t.toml: line 2: the statement setting `BinaryName` spans several lines" },
    { "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes]\nrunc = { options = { X = [\n"
      "1] } }\n",
      "t.toml: line 2: the table is written inside an inline table capguard cannot extend" },
    { "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n[plugins.\"io."
      "containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n",
      "t.toml:2:1: table `options` is declared twice" },
    { "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\nBinaryName = "
      "1\nBinaryName = 2\n",
      "t.toml:3:1: cannot overwrite a value: `BinaryName` is set twice" },
    { "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\noptions = 1\n",
      "t.toml: `options` is a value, not a table" },
    { "x = [1,\n", "t.toml:2:1: an array that is not closed" },
    { "[unclosed\n", "t.toml:1:10: expected `]` at the end of a table header" },
    { "= 1\n", "t.toml:1:1: invalid statement" },
  };
  size_t i;

  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_error struct error *err = NULL;
      cleanup_free char *out = NULL;
      EXPECT (tomledit_set (cases[i].text, "t.toml", &key, &out, &err) < 0);
      EXPECT (out == NULL);
      if (strncmp (err->msg, cases[i].why, strlen (cases[i].why)) != 0)
        EXPECT_STR (err->msg, cases[i].why);
    }
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

int
main (void)
{
  static const struct tap_test tests[] = {
    { "a key is added under its table's header", test_key_added_under_header },
    { "quoting styles and spaces name the same table", test_quoting_styles_and_spaces },
    { "an existing value is kept as a comment and comes back", test_existing_key_saved },
    { "a missing table is appended in a block", test_table_appended },
    { "headers inside multi-line values are not tables", test_headers_inside_values_ignored },
    { "inline tables and dotted keys are edited in their own form", test_inline_and_dotted_forms },
    { "CRLF and a missing final newline survive the round trip", test_line_endings },
    { "what cannot be edited on one line is refused with the place", test_refused },
    { "revert without edits", test_revert_without_edits },
  };
  return tap_run (tests, sizeof tests / sizeof tests[0]);
}
