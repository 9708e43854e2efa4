/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_POLICY_CACHE_H
#define CAPGUARD_POLICY_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

/* A big policy in compiled form, so that the container-start path does not
   parse its JSON on every start (a 1 000-rule policy is 215 KB: parsing it
   costs 40 M instructions, reading the compiled form a few hundred
   thousand).  One file per policy path in a directory only root can enter;
   an entry holds the key of what it was made from (the policy text's length
   and hash, the kernel's last capability, the capguard binary's identity)
   and is used only when that key is the current one: the text is read and
   hashed on every load, so an edit of any kind is seen at once, whatever
   its timestamps.  Anything wrong with an entry (missing, stale, torn,
   foreign owner, open mode) means the policy is parsed as without a cache,
   and a fresh entry replaces it.  Seccomp profiles named by the policy are
   read from their files on every load, as without a cache.

   The hash is not cryptographic and needs not be: an entry is trusted as
   far as the directory is (root's), and the text it is compared with is
   the policy file, which only root can write either.  */

#define POLICY_CACHE_DIR "/run/capguard/policy-cache"
/* Below this size parsing is cheaper than checking the cache.  */
#define POLICY_CACHE_MIN (32 * 1024)

/* What an entry was made from.  */
struct policy_cache_key
{
  uint32_t format;
  int32_t last_cap;
  uint64_t exe_dev, exe_ino, exe_size;
  int64_t exe_mtime_sec, exe_mtime_nsec, exe_ctime_sec, exe_ctime_nsec;
  uint64_t text_len, text_hash;
  uint64_t source_hash;
};

/* The cache directory: $CAPGUARD_CACHE_DIR when set (empty: no cache),
   else POLICY_CACHE_DIR.  NULL for no cache, and when not running as
   root.  */
const char *policy_cache_dir (void);

/* The policy SOURCE whose text is *TEXT, from its entry in DIR when that
   was made under KEY (policy_cache_key of the same text); NULL when there
   is no fresh and sound entry.  The policy takes *TEXT (which becomes NULL)
   when it is returned.  */
struct policy *policy_cache_read (const char *dir, const struct policy_cache_key *key,
                                  const char *source, char **text, size_t len);

/* Stores POLICY (just parsed from the text KEY was made of) in DIR,
   replacing its entry atomically; stores nothing when one of its regexes
   does not compile.  Failures are silent: the cache only saves time.  */
void policy_cache_write (const char *dir, const struct policy_cache_key *key,
                         const struct policy *policy);

/* The parts, for the tests and the fuzzer.  The key of SOURCE's TEXT for
   this binary; -1 when the binary cannot be identified.  */
int policy_cache_key (const char *source, const char *text, size_t len, int last_cap,
                      struct policy_cache_key *key);

/* The entry for POLICY under KEY; caller frees.  */
char *policy_cache_encode (const struct policy *policy, const struct policy_cache_key *key,
                           size_t *len);

/* An entry made of PAYLOAD (the encoded policy) under KEY; caller frees.  */
char *policy_cache_seal (const struct policy_cache_key *key, const char *payload, size_t len,
                         size_t *out_len);

/* The policy the entry *ENTRY holds when it was made under KEY (SOURCE and
   *TEXT are the file's, as for policy_parse); NULL when it was not or it is
   not sound.  A policy returned has taken *ENTRY (its strings point into
   it) and *TEXT, which become NULL; both are untouched otherwise.  */
struct policy *policy_cache_decode (char **entry, size_t len, const struct policy_cache_key *key,
                                    const char *source, char **text, size_t text_len);

/* 64-bit hash of LEN bytes at DATA.  */
uint64_t policy_cache_hash (const void *data, size_t len);

#endif
