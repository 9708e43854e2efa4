/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <sys/capability.h>

#include "capset.h"
#include "util.h"

static const char *const kind_names[CAPSET_COUNT] = {
  [CAPSET_BOUNDING] = "bounding",   [CAPSET_EFFECTIVE] = "effective",
  [CAPSET_PERMITTED] = "permitted", [CAPSET_INHERITABLE] = "inheritable",
  [CAPSET_AMBIENT] = "ambient",
};

/* Longest name libcap knows is "CAP_CHECKPOINT_RESTORE"; anything much longer
   is junk, and bounding it keeps error messages and buffers small.  */
#define NAME_MAX_LEN 48

const char *
capset_kind_name (enum capset_kind kind)
{
  return kind_names[kind];
}

int
capset_count (uint64_t set)
{
  return __builtin_popcountll (set);
}

const char *
capset_name (int cap)
{
  static char names[CAPSET_MAX_BITS][NAME_MAX_LEN + 1];
  static bool filled[CAPSET_MAX_BITS];

  if (cap < 0 || cap >= CAPSET_MAX_BITS)
    return NULL;
  if (!filled[cap])
    {
      char *n = cap_to_name (cap);
      size_t i;

      /* libcap answers with the number for a capability it has no name for.  */
      if (n == NULL || isdigit ((unsigned char)n[0]) || strlen (n) + 4 > NAME_MAX_LEN)
        {
          cap_free (n);
          return NULL;
        }
      snprintf (names[cap], sizeof names[cap], "%s%s",
                strncasecmp (n, "cap_", 4) == 0 ? "" : "CAP_", n);
      for (i = 0; names[cap][i]; i++)
        names[cap][i] = toupper ((unsigned char)names[cap][i]);
      cap_free (n);
      filled[cap] = true;
    }
  return names[cap];
}

/* Never hand libcap an unchecked string: cap_from_name() accepts numbers,
   any case and trailing junk ("CAP_KILL,CAP_SYS_ADMIN" parses as CAP_KILL,
   see cap_from_text(3)).  So validate the shape first, then look the name up
   and check that it maps back to itself, then range-check against the
   running kernel.  */
static int
lookup_canonical (const char *canonical, int last_cap)
{
  cap_value_t value;
  const char *back;

  if (cap_from_name (canonical, &value) < 0)
    return -1;
  if (value < 0 || value > last_cap || value >= CAPSET_MAX_BITS)
    return -1;
  back = capset_name (value);
  if (back == NULL || strcmp (back, canonical) != 0)
    return -1;
  return value;
}

int
capset_parse_policy_name (const char *name, int last_cap, int *cap, struct error **err)
{
  char canonical[NAME_MAX_LEN + 1];
  const char *p = name;
  size_t len = strlen (name), i;
  int value;

  if (len == 0)
    return make_error (err, 0, "empty capability name");
  if (len > NAME_MAX_LEN - 4)
    return make_error (err, 0, "capability name too long");
  for (i = 0; i < len; i++)
    if (!(isalpha ((unsigned char)name[i]) && isascii ((unsigned char)name[i])) && name[i] != '_')
      return make_error (err, 0, "`%s` is not a capability name (only letters and `_`)", name);
  if (strncasecmp (p, "cap_", 4) == 0)
    p += 4;
  if (*p == '\0')
    return make_error (err, 0, "`%s` is not a capability name", name);
  snprintf (canonical, sizeof canonical, "CAP_%s", p);
  for (i = 4; canonical[i]; i++)
    canonical[i] = toupper ((unsigned char)canonical[i]);

  value = lookup_canonical (canonical, last_cap);
  if (value < 0)
    return make_error (err, 0, "`%s` is not a capability this kernel knows (cap_last_cap is %d)",
                       name, last_cap);
  *cap = value;
  return 0;
}

int
capset_parse_config_name (const char *name, int last_cap)
{
  size_t len = strlen (name), i;

  if (len <= 4 || len > NAME_MAX_LEN || strncmp (name, "CAP_", 4) != 0)
    return -1;
  for (i = 4; i < len; i++)
    if (!((name[i] >= 'A' && name[i] <= 'Z') || name[i] == '_'))
      return -1;
  return lookup_canonical (name, last_cap);
}

char *
capset_to_string (uint64_t set, const char *sep)
{
  size_t seplen = strlen (sep), len = 0;
  char *out;
  int cap;

  for (cap = 0; cap < CAPSET_MAX_BITS; cap++)
    if (capset_has (set, cap))
      len += NAME_MAX_LEN + seplen;
  out = xmalloc0 (len + 1);
  for (cap = 0; cap < CAPSET_MAX_BITS; cap++)
    {
      char num[16];
      const char *n;

      if (!capset_has (set, cap))
        continue;
      n = capset_name (cap);
      if (n == NULL)
        {
          snprintf (num, sizeof num, "%d", cap);
          n = num;
        }
      if (*out)
        strcat (out, sep);
      strcat (out, n);
    }
  return out;
}

void
capset_after_execve (const uint64_t before[CAPSET_COUNT], bool root, bool nnp,
                     uint64_t after[CAPSET_COUNT])
{
  uint64_t file_inheritable = root ? UINT64_MAX : 0, file_permitted = root ? UINT64_MAX : 0;

  after[CAPSET_BOUNDING] = before[CAPSET_BOUNDING];
  after[CAPSET_INHERITABLE] = before[CAPSET_INHERITABLE];
  /* No file capabilities and no setid bit: ambient survives.  */
  after[CAPSET_AMBIENT] = before[CAPSET_AMBIENT];
  after[CAPSET_PERMITTED] = (before[CAPSET_INHERITABLE] & file_inheritable)
                            | (file_permitted & before[CAPSET_BOUNDING]) | after[CAPSET_AMBIENT];
  if (nnp)
    after[CAPSET_PERMITTED] &= before[CAPSET_PERMITTED];
  after[CAPSET_EFFECTIVE] = root ? after[CAPSET_PERMITTED] : after[CAPSET_AMBIENT];
}

void
capset_normalise (uint64_t sets[CAPSET_COUNT])
{
  sets[CAPSET_PERMITTED] &= sets[CAPSET_BOUNDING];
  sets[CAPSET_EFFECTIVE] &= sets[CAPSET_PERMITTED];
  sets[CAPSET_AMBIENT] &= sets[CAPSET_PERMITTED] & sets[CAPSET_INHERITABLE];
}
