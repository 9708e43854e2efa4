/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What report --observed and observe take from outside: an observation
   record (report) and a cgroup's name and its parent's (observe), on
   arbitrary bytes.  */
#include <string.h>

#include "capset.h"
#include "observe.h"
#include "util.h"

int LLVMFuzzerTestOneInput (const unsigned char *data, size_t size);

int
LLVMFuzzerTestOneInput (const unsigned char *data, size_t size)
{
  cleanup_error struct error *err = NULL;
  json_auto_t *rec = json_loadb ((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
  cleanup_free char *name = xstrndup ((const char *)data, size);
  const char *parent = memchr (data, '\0', size) ? (const char *)data + strlen (name) + 1 : NULL;
  cleanup_free char *parent_copy
      = parent ? xstrndup (parent, size - (size_t)(parent - (const char *)data)) : NULL;
  const char *engine = NULL;
  char id[65];
  size_t i;

  if (rec && observe_record_check (rec, &err) == 0)
    {
      /* Accepted: a capability runc would know, a positive count.  */
      if (capset_parse_config_name (json_string_value (json_object_get (rec, "capability")), 63) < 0
          || json_integer_value (json_object_get (rec, "count")) < 1)
        __builtin_trap ();
    }
  if (observe_container_of (name, parent_copy, id, &engine))
    {
      /* A container's id is 64 lower-case hex digits taken from the name.  */
      if (strlen (id) != 64 || strstr (name, id) == NULL || engine == NULL)
        __builtin_trap ();
      for (i = 0; i < 64; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
          __builtin_trap ();
    }
  return 0;
}
