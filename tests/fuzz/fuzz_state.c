/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The OCI state parser and the process-file parser on arbitrary bytes.  */
#include "oci.h"
#include "util.h"

int LLVMFuzzerTestOneInput (const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput (const unsigned char *data, size_t size)
{
  cleanup_error struct error *err = NULL, *err2 = NULL;
  struct oci_state state;
  json_t *process = NULL;
  json_auto_t *doc = oci_state_parse ((const char *)data, size, "state", &state, &err);
  json_auto_t *proc = oci_process_parse ((const char *)data, size, "process", &process, &err2);

  if (doc && (state.id == NULL || state.bundle == NULL || state.bundle[0] != '/'))
    __builtin_trap ();
  if (proc)
    {
      struct oci_facts f;
      cleanup_error struct error *err3 = NULL;
      if (oci_config_facts (proc, 40, &f, &err3) == 0)
        oci_facts_release (&f);
    }
  return 0;
}
