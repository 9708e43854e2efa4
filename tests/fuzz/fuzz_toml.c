/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The TOML reader and editor on arbitrary bytes, with the invariants that
   matter: no crash; an edit capguard returns reads back (by the same
   reader) as the old tree plus the key; a second edit changes nothing;
   revert gives back the input byte for byte.  */
#include <stdlib.h>
#include <string.h>

#include "toml.h"
#include "tomledit.h"
#include "util.h"

static const char *const runc_options[]
    = { "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes", "runc", "options" };

int LLVMFuzzerTestOneInput (const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput (const unsigned char *data, size_t size)
{
  cleanup_free char *text = xmalloc0 (size + 1);
  cleanup_free char *out = NULL, *again = NULL, *back = NULL;
  struct toml_node *root = NULL;
  size_t depth;

  memcpy (text, data, size);
  if (memchr (data, '\0', size) || strstr (text, "capguard-"))
    return 0;
  {
    cleanup_error struct error *err = NULL;
    if (toml_parse (text, size, "fuzz", &root, &err) < 0)
      return 0;
    json_decref (toml_to_tagged_json (root));
    toml_free (root);
  }
  /* One edit at a depth the input picks.  */
  depth = size ? data[0] % 7 : 6;
  {
    cleanup_error struct error *err = NULL;
    struct tomledit_key k
        = { .table = runc_options, .depth = depth, .key = "BinaryName", .value = "\"/x\"" };
    if (tomledit_set (text, "fuzz", &k, &out, &err) < 0 || out == NULL)
      return 0;
  }
  {
    cleanup_error struct error *err = NULL;
    struct tomledit_key k
        = { .table = runc_options, .depth = depth, .key = "BinaryName", .value = "\"/x\"" };
    if (tomledit_set (out, "fuzz", &k, &again, &err) < 0 || again != NULL)
      abort ();
  }
  {
    cleanup_error struct error *err = NULL;
    if (tomledit_revert (out, &back, &err) < 0 || back == NULL || strcmp (back, text) != 0)
      abort ();
  }
  return 0;
}
