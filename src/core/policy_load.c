/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Loading the node policy: its file read with the ownership rules, then
   parsed (policy.c) or, for a big policy on the container-start path, read
   from its compiled form (policy_cache.c).  Above both, so that neither
   calls the other back.  */
#include <errno.h>
#include <sys/stat.h>

#include "policy.h"
#include "policy_cache.h"
#include "util.h"

struct policy *
policy_load_default (const char *path, int last_cap, unsigned flags, struct error **err)
{
  struct stat st;

  /* Only a path with nothing at all there selects the built-in policy: a
     dangling symlink or an unreadable directory is an error, never a
     silent fallback to another policy.  */
  if (lstat (path, &st) < 0 && errno == ENOENT)
    return policy_parse (policy_builtin_text, policy_builtin_len, "<built-in>", last_cap, flags,
                         err);
  return policy_load (path, last_cap, flags, err);
}

struct policy *
policy_load (const char *path, int last_cap, unsigned flags, struct error **err)
{
  cleanup_free char *text = NULL;
  struct policy_cache_key key;
  const char *cache_dir;
  struct policy *policy;
  size_t len;

  if (path == NULL)
    return policy_load_default (POLICY_DEFAULT_PATH, last_cap, flags, err);
  if (util_read_owned_file (path, "policy", CAPGUARD_MAX_POLICY, &text, &len, err) < 0)
    return NULL;
  /* The cache only where parsing costs more than reading it: a typical
     policy is parsed in less time than the cache takes to check.  */
  cache_dir = (flags & POLICY_HOT) && len >= POLICY_CACHE_MIN ? policy_cache_dir () : NULL;
  /* The key is made once: hashing the text is most of what a read costs.  */
  if (cache_dir && policy_cache_key (path, text, len, last_cap, &key) < 0)
    cache_dir = NULL;
  if (cache_dir && (policy = policy_cache_read (cache_dir, &key, path, &text, len)))
    return policy;
  policy = policy_parse (text, len, path, last_cap, flags, err);
  if (policy && cache_dir)
    policy_cache_write (cache_dir, &key, policy);
  return policy;
}
