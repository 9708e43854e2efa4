/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "capset.h"
#include "tap.h"
#include "util.h"

static int
parse_ok (const char *name, int last_cap)
{
  cleanup_error struct error *err = NULL;
  int cap = -1;

  if (capset_parse_policy_name (name, last_cap, &cap, &err) < 0)
    return -1;
  return cap;
}

static int
test_policy_names_every_spelling (void)
{
  EXPECT (parse_ok ("CAP_NET_RAW", 40) == 13);
  EXPECT (parse_ok ("NET_RAW", 40) == 13);
  EXPECT (parse_ok ("net_raw", 40) == 13);
  EXPECT (parse_ok ("cap_net_raw", 40) == 13);
  EXPECT (parse_ok ("Cap_Net_Raw", 40) == 13);
  EXPECT (parse_ok ("CHOWN", 40) == 0);
  EXPECT (parse_ok ("checkpoint_restore", 40) == 40);
  return 0;
}

static int
test_policy_names_rejected (void)
{
  static const char *const bad[] = {
    "",
    "13",
    "0",
    "CAP_13",
    "CAP_",
    "cap_",
    "CAP_KILL,CAP_SYS_ADMIN",
    "KILL ",
    " KILL",
    "kill\n",
    "ALL",
    "all",
    "CAP_FOO",
    "SYS_ADMINX",
    "CAP_SYS-ADMIN",
    "CAP_KİLL",
    "CAPKILL",
    "CAP_CAP_KILL",
    "CAP_SYS_ADMIN_CAP_SYS_ADMIN_CAP_SYS_ADMIN_CAP_SYS_ADMIN",
  };
  size_t i;

  for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (parse_ok (bad[i], 40) >= 0)
      {
        fprintf (stderr, "# `%s` was accepted\n", bad[i]);
        return -1;
      }
  return 0;
}

static int
test_policy_name_error_text (void)
{
  cleanup_error struct error *err = NULL;
  int cap;

  EXPECT (capset_parse_policy_name ("CAP_KILL,CAP_SYS_ADMIN", 40, &cap, &err) < 0);
  EXPECT (strstr (err->msg, "`CAP_KILL,CAP_SYS_ADMIN`") != NULL);
  return 0;
}

static int
test_kernel_limit (void)
{
  /* CAP_CHECKPOINT_RESTORE is 40: unknown to a kernel whose last cap is 39.  */
  EXPECT (parse_ok ("CHECKPOINT_RESTORE", 39) < 0);
  EXPECT (parse_ok ("BPF", 39) == 39);
  EXPECT (capset_parse_config_name ("CAP_CHECKPOINT_RESTORE", 39) < 0);
  EXPECT (capset_parse_config_name ("CAP_CHECKPOINT_RESTORE", 40) == 40);
  EXPECT (util_cap_last_cap () >= 36 && util_cap_last_cap () < 64);
  return 0;
}

static int
test_config_names_strict (void)
{
  EXPECT (capset_parse_config_name ("CAP_KILL", 40) == 5);
  EXPECT (capset_parse_config_name ("CAP_SYS_ADMIN", 40) == 21);
  /* runc and crun know only the canonical spelling.  */
  EXPECT (capset_parse_config_name ("cap_kill", 40) < 0);
  EXPECT (capset_parse_config_name ("KILL", 40) < 0);
  EXPECT (capset_parse_config_name ("Cap_Kill", 40) < 0);
  EXPECT (capset_parse_config_name ("CAP_KILL ", 40) < 0);
  EXPECT (capset_parse_config_name ("CAP_5", 40) < 0);
  EXPECT (capset_parse_config_name ("5", 40) < 0);
  EXPECT (capset_parse_config_name ("CAP_KILL,CAP_SYS_ADMIN", 40) < 0);
  EXPECT (capset_parse_config_name ("CAP_", 40) < 0);
  EXPECT (capset_parse_config_name ("", 40) < 0);
  return 0;
}

static int
test_names_round_trip (void)
{
  int cap;

  for (cap = 0; cap <= 40; cap++)
    {
      const char *n = capset_name (cap);
      EXPECT (n != NULL);
      EXPECT (capset_parse_config_name (n, 40) == cap);
      EXPECT (parse_ok (n + 4, 40) == cap);
    }
  EXPECT_STR (capset_name (21), "CAP_SYS_ADMIN");
  EXPECT (capset_name (-1) == NULL);
  EXPECT (capset_name (64) == NULL);
  return 0;
}

static int
test_algebra (void)
{
  uint64_t a = capset_bit (0) | capset_bit (5) | capset_bit (21);
  uint64_t b = capset_bit (5) | capset_bit (13);

  EXPECT (capset_union (a, b) == (a | capset_bit (13)));
  EXPECT (capset_intersect (a, b) == capset_bit (5));
  EXPECT (capset_subtract (a, b) == (capset_bit (0) | capset_bit (21)));
  EXPECT (capset_is_subset (capset_bit (5), a));
  EXPECT (!capset_is_subset (b, a));
  EXPECT (capset_is_subset (0, 0));
  EXPECT (capset_count (a) == 3);
  EXPECT (capset_count (0) == 0);
  EXPECT (capset_all (40) == 0x1ffffffffffULL);
  EXPECT (capset_all (63) == UINT64_MAX);
  EXPECT (capset_count (capset_all (40)) == 41);
  return 0;
}

static int
test_to_string (void)
{
  cleanup_free char *s = capset_to_string (capset_bit (21) | capset_bit (0), " ");
  cleanup_free char *e = capset_to_string (0, " ");
  cleanup_free char *c = capset_to_string (capset_bit (5) | capset_bit (13), ",");

  EXPECT_STR (s, "CAP_CHOWN CAP_SYS_ADMIN");
  EXPECT_STR (e, "");
  EXPECT_STR (c, "CAP_KILL,CAP_NET_RAW");
  return 0;
}

static int
test_normalise_invariants (void)
{
  uint64_t s[CAPSET_COUNT] = { 0 };

  s[CAPSET_BOUNDING] = capset_bit (0) | capset_bit (5);
  s[CAPSET_PERMITTED] = capset_bit (0) | capset_bit (13); /* 13 not bounding */
  s[CAPSET_EFFECTIVE] = capset_bit (0) | capset_bit (5);  /* 5 not permitted */
  s[CAPSET_INHERITABLE] = capset_bit (0);
  s[CAPSET_AMBIENT] = capset_bit (0) | capset_bit (5) | capset_bit (13);
  capset_normalise (s);
  EXPECT (s[CAPSET_PERMITTED] == capset_bit (0));
  EXPECT (s[CAPSET_EFFECTIVE] == capset_bit (0));
  EXPECT (s[CAPSET_AMBIENT] == capset_bit (0));
  EXPECT (s[CAPSET_BOUNDING] == (capset_bit (0) | capset_bit (5)));
  EXPECT (capset_is_subset (s[CAPSET_EFFECTIVE], s[CAPSET_PERMITTED]));
  EXPECT (capset_is_subset (s[CAPSET_PERMITTED], s[CAPSET_BOUNDING]));
  EXPECT (capset_is_subset (s[CAPSET_AMBIENT], s[CAPSET_PERMITTED] & s[CAPSET_INHERITABLE]));

  /* Ambient without inheritable is dropped whole.  */
  s[CAPSET_INHERITABLE] = 0;
  capset_normalise (s);
  EXPECT (s[CAPSET_AMBIENT] == 0);
  return 0;
}

static int
test_kind_names (void)
{
  EXPECT_STR (capset_kind_name (CAPSET_BOUNDING), "bounding");
  EXPECT_STR (capset_kind_name (CAPSET_AMBIENT), "ambient");
  return 0;
}

static int
test_after_execve (void)
{
  uint64_t before[CAPSET_COUNT] = { 0 }, after[CAPSET_COUNT];
  uint64_t kill = capset_bit (5), chown = capset_bit (0), nbs = capset_bit (10);

  before[CAPSET_BOUNDING] = kill | chown;
  before[CAPSET_PERMITTED] = before[CAPSET_EFFECTIVE] = kill;
  /* Root: the whole bounding set, unless no_new_privs forbids the gain.  */
  capset_after_execve (before, true, false, after);
  EXPECT (after[CAPSET_PERMITTED] == (kill | chown) && after[CAPSET_EFFECTIVE] == (kill | chown));
  capset_after_execve (before, true, true, after);
  EXPECT (after[CAPSET_PERMITTED] == kill && after[CAPSET_EFFECTIVE] == kill);
  /* Non-root without ambient: nothing.  */
  capset_after_execve (before, false, false, after);
  EXPECT (after[CAPSET_PERMITTED] == 0 && after[CAPSET_EFFECTIVE] == 0);
  EXPECT (after[CAPSET_BOUNDING] == (kill | chown));
  /* Non-root with ambient: exactly the ambient set.  */
  before[CAPSET_BOUNDING] = before[CAPSET_PERMITTED] = before[CAPSET_INHERITABLE] = nbs;
  before[CAPSET_AMBIENT] = nbs;
  capset_after_execve (before, false, true, after);
  EXPECT (after[CAPSET_PERMITTED] == nbs && after[CAPSET_EFFECTIVE] == nbs
          && after[CAPSET_AMBIENT] == nbs);
  return 0;
}

TAP_MAIN (T (test_after_execve), T (test_policy_names_every_spelling),
          T (test_policy_names_rejected), T (test_policy_name_error_text), T (test_kernel_limit),
          T (test_config_names_strict), T (test_names_round_trip), T (test_algebra),
          T (test_to_string), T (test_normalise_invariants), T (test_kind_names))
