/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "fields.h"

static const char *const names[FIELD_COUNT] = {
  [FIELD_NAMESPACE] = "namespace", [FIELD_POD] = "pod",         [FIELD_CONTAINER] = "container",
  [FIELD_IMAGE] = "image",         [FIELD_COMMAND] = "command",
};

const char *
field_name (enum field field)
{
  return names[field];
}
