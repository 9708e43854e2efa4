/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capset.h"
#include "policy_cache.h"
#include "policy_internal.h"
#include "policy_settings.h"
#include "util.h"

/* Bumped whenever the encoding or the meaning of a policy field changes;
   the binary's identity in the key covers rebuilds that forget to.  */
#define FORMAT 1
#define MAGIC "capguard"
#define NONE UINT32_MAX /* a missing string, no profile */
/* An entry is smaller than the text it was made from, plus its header.  */
#define ENTRY_MAX (CAPGUARD_MAX_POLICY + 4096)

struct header
{
  char magic[8];
  struct policy_cache_key key;
  uint64_t payload_len;
  uint64_t payload_hash;
};

/* The 64-bit multiply-rotate mix of MurmurHash3, a word at a time, and its
   finaliser: it spreads every input bit over the result, which is all a
   check against a torn or stale entry needs.  */
static uint64_t
fmix (uint64_t h)
{
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

uint64_t
policy_cache_hash (const void *data, size_t len)
{
  const unsigned char *p = data;
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;
  size_t i;

  for (i = 0; i + 8 <= len; i += 8)
    {
      memcpy (&w, p + i, 8);
      w *= 0x87c37b91114253d5ULL;
      w = (w << 31) | (w >> 33);
      h ^= w * 0x4cf5ad432745937fULL;
      h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
    }
  w = 0;
  memcpy (&w, p + i, len - i);
  return fmix (h ^ fmix (w + len));
}

const char *
policy_cache_dir (void)
{
  const char *dir = getenv ("CAPGUARD_CACHE_DIR");

  /* Only root's hooks and wrapper can use a root-only directory; a
     rootless engine's hooks parse the policy.  */
  if (geteuid () != 0)
    return NULL;
  if (dir == NULL)
    return POLICY_CACHE_DIR;
  return dir[0] == '/' ? dir : NULL;
}

int
policy_cache_key (const char *source, const char *text, size_t len, int last_cap,
                  struct policy_cache_key *key)
{
  struct stat st;

  /* The binary that made the entry: an upgraded capguard may read a policy
     differently, and must not inherit its predecessor's reading.  */
  if (stat ("/proc/self/exe", &st) < 0)
    return -1;
  memset (key, 0, sizeof *key);
  key->format = FORMAT;
  key->last_cap = last_cap;
  key->exe_dev = st.st_dev;
  key->exe_ino = st.st_ino;
  key->exe_size = st.st_size;
  key->exe_mtime_sec = st.st_mtim.tv_sec;
  key->exe_mtime_nsec = st.st_mtim.tv_nsec;
  key->exe_ctime_sec = st.st_ctim.tv_sec;
  key->exe_ctime_nsec = st.st_ctim.tv_nsec;
  key->text_len = len;
  key->text_hash = policy_cache_hash (text, len);
  key->source_hash = policy_cache_hash (source, strlen (source));
  return 0;
}

/* Encoding: native byte order (an entry never leaves its node), strings as
   a 32-bit length (NONE: missing) and their bytes.  */
struct out
{
  char *buf;
  size_t len, cap;
};

static void
put (struct out *o, const void *p, size_t n)
{
  if (o->cap - o->len < n)
    {
      while (o->cap - o->len < n)
        o->cap = o->cap ? o->cap * 2 : 4096;
      o->buf = xrealloc (o->buf, o->cap);
    }
  memcpy (o->buf + o->len, p, n);
  o->len += n;
}

static void
put_u8 (struct out *o, unsigned v)
{
  uint8_t b = v;
  put (o, &b, 1);
}

static void
put_u32 (struct out *o, uint32_t v)
{
  put (o, &v, sizeof v);
}

static void
put_u64 (struct out *o, uint64_t v)
{
  put (o, &v, sizeof v);
}

/* With its NUL: the decoded policy's strings point into the entry.  */
static void
put_str (struct out *o, const char *s)
{
  put_u32 (o, s ? strlen (s) : NONE);
  if (s)
    put (o, s, strlen (s) + 1);
}

/* The index of S's profile among POLICY's, or NONE.  */
static uint32_t
profile_index (const struct policy *policy, const struct policy_settings *s)
{
  size_t i;

  for (i = 0; s->seccomp_profile && i < json_array_size (policy->profiles); i++)
    if (json_array_get (policy->profiles, i) == s->seccomp_profile)
      return i;
  return NONE;
}

/* Each of policy_settings_table's rows, in its order: a set as 8 bytes, a
   word or flag as 1; then the profile's index.  */
static void
put_settings (struct out *o, const struct policy *policy, const struct policy_settings *s)
{
  size_t i;

  for (i = 0; i < policy_settings_count; i++)
    {
      const struct policy_setting *row = &policy_settings_table[i];

      if (row->kind == SETTING_SET)
        put_u64 (o, policy_setting_set_value (row, s));
      else
        put_u8 (o, policy_setting_value (row, s));
    }
  put_u32 (o, profile_index (policy, s));
}

char *
policy_cache_seal (const struct policy_cache_key *key, const char *payload, size_t len,
                   size_t *out_len)
{
  struct header h;
  char *buf = xmalloc0 (sizeof h + len + 1);

  memset (&h, 0, sizeof h);
  memcpy (h.magic, MAGIC, sizeof h.magic);
  h.key = *key;
  h.payload_len = len;
  h.payload_hash = policy_cache_hash (payload, len);
  memcpy (buf, &h, sizeof h);
  if (len)
    memcpy (buf + sizeof h, payload, len);
  *out_len = sizeof h + len;
  return buf;
}

char *
policy_cache_encode (const struct policy *policy, const struct policy_cache_key *key, size_t *len)
{
  cleanup_free char *payload = NULL;
  struct out o = { 0 };
  size_t i, j;

  put_u8 (&o, policy->log_syslog);
  put_str (&o, policy->log_file);
  put_str (&o, policy->runtime);
  put_u32 (&o, json_array_size (policy->profile_sources));
  for (i = 0; i < json_array_size (policy->profile_sources); i++)
    put_str (&o, json_string_value (json_array_get (policy->profile_sources, i)));
  put_settings (&o, policy, &policy->defaults);
  put_u32 (&o, policy->n_rules);
  for (i = 0; i < policy->n_rules; i++)
    {
      const struct policy_rule *rule = &policy->rules[i];
      unsigned mask = 0;

      put_str (&o, rule->name);
      for (j = 0; j < FIELD_COUNT; j++)
        mask |= rule->has_field[j] ? 1u << j : 0;
      put_u8 (&o, mask);
      for (j = 0; j < FIELD_COUNT; j++)
        if (rule->has_field[j])
          put_str (&o, rule->field[j].pattern);
      put_u8 (&o, rule->has_uid);
      put_u32 (&o, rule->uid);
      put_u32 (&o, rule->n_annotations);
      for (j = 0; j < rule->n_annotations; j++)
        {
          put_str (&o, rule->annotations[j].key);
          put_str (&o, rule->annotations[j].value.pattern);
        }
      put_settings (&o, policy, &rule->settings);
    }
  payload = o.buf;
  return policy_cache_seal (key, payload ? payload : "", o.len, len);
}

/* Decoding: every read is bounds-checked; the first failure sets BAD and
   every later read returns zero.  */
struct in
{
  char *p;
  size_t left;
  bool bad;
};

static bool
get (struct in *in, void *dst, size_t n)
{
  if (in->bad || in->left < n)
    {
      in->bad = true;
      memset (dst, 0, n);
      return false;
    }
  memcpy (dst, in->p, n);
  in->p += n;
  in->left -= n;
  return true;
}

static unsigned
get_u8 (struct in *in)
{
  uint8_t v;
  get (in, &v, 1);
  return v;
}

static uint32_t
get_u32 (struct in *in)
{
  uint32_t v;
  get (in, &v, sizeof v);
  return v;
}

static uint64_t
get_u64 (struct in *in)
{
  uint64_t v;
  get (in, &v, sizeof v);
  return v;
}

/* A string, in the entry (NULL when missing: BAD too unless OPTIONAL).  */
static char *
get_str (struct in *in, bool optional)
{
  uint32_t n = get_u32 (in);
  char *s;

  if (in->bad || (n == NONE && optional))
    return NULL;
  if (n == NONE || n >= in->left || memchr (in->p, '\0', n) || in->p[n] != '\0')
    {
      in->bad = true;
      return NULL;
    }
  s = in->p;
  in->p += n + 1;
  in->left -= n + 1;
  return s;
}

/* The profiles an entry names, loaded again from their sources.  */
struct profiles
{
  uint32_t n;
  struct policy_settings *loaded; /* each one's profile and source */
};

static void
get_settings (struct in *in, const struct profiles *profiles, int last_cap,
              struct policy_settings *s)
{
  uint64_t all = capset_all (last_cap);
  uint32_t profile;
  size_t i;

  /* What policy_parse guarantees, checked again: every value one of its
     row's, every set within the kernel's, a profile where one is needed.  */
  for (i = 0; i < policy_settings_count; i++)
    {
      const struct policy_setting *row = &policy_settings_table[i];

      if (row->kind == SETTING_SET)
        {
          uint64_t v = get_u64 (in);
          in->bad = in->bad || (v & ~all);
          *policy_setting_set (row, s) = v;
        }
      else
        {
          unsigned v = get_u8 (in);
          in->bad = in->bad || v >= row->n_names;
          policy_setting_store (row, s, in->bad ? 0 : v);
        }
    }
  profile = get_u32 (in);
  if ((profile != NONE && profile >= profiles->n)
      || (profile == NONE
          && (s->seccomp == POLICY_SECCOMP_BASELINE || s->user_namespaces == POLICY_USERNS_DENY)))
    in->bad = true;
  if (in->bad)
    return;
  s->seccomp_profile = profile == NONE ? NULL : profiles->loaded[profile].seccomp_profile;
  s->seccomp_profile_source
      = profile == NONE ? NULL : profiles->loaded[profile].seccomp_profile_source;
}

static void
get_regex (struct in *in, struct policy *policy, const char *what, struct policy_regex *r)
{
  r->pattern = get_str (in, false);
  r->what = what;
  policy_regex_add (policy, r);
}

static void
get_rule (struct in *in, struct policy *policy, const struct profiles *profiles,
          struct policy_rule *rule)
{
  unsigned mask, has_uid;
  uint32_t n, i;

  rule->name = get_str (in, false);
  if (rule->name && rule->name[0] == '\0')
    in->bad = true;
  mask = get_u8 (in);
  if (mask >> FIELD_COUNT)
    in->bad = true;
  for (i = 0; i < FIELD_COUNT && !in->bad; i++)
    if (mask & (1u << i))
      {
        rule->has_field[i] = true;
        get_regex (in, policy, field_name (i), &rule->field[i]);
      }
  has_uid = get_u8 (in);
  rule->has_uid = has_uid;
  rule->uid = get_u32 (in);
  n = get_u32 (in);
  /* Each annotation takes at least two lengths.  */
  if (has_uid > 1 || n > in->left / 8)
    in->bad = true;
  if (in->bad)
    return;
  if (n)
    rule->annotations = xmalloc0 (sizeof *rule->annotations * n);
  for (i = 0; i < n && !in->bad; i++)
    {
      struct policy_annotation_match *am = &rule->annotations[i];
      am->key = get_str (in, false);
      rule->n_annotations++;
      get_regex (in, policy, am->key, &am->value);
    }
  get_settings (in, profiles, policy->last_cap, &rule->settings);
}

/* The smallest encoded rule: an empty name's length, mask, uid, the
   annotation count and the settings.  */
#define RULE_MIN (4 + 1 + 1 + 4 + 4 + 1 + 4 * 8 + 5 + 4)

static bool
decode_payload (struct in *in, struct policy *policy)
{
  cleanup_free struct policy_settings *loaded = NULL;
  struct profiles profiles = { 0 };
  unsigned syslog;
  uint32_t i, n;

  syslog = get_u8 (in);
  policy->log_syslog = syslog;
  policy->log_file = get_str (in, true);
  policy->runtime = get_str (in, true);
  if (syslog > 1 || (policy->log_file && policy->log_file[0] != '/')
      || (policy->runtime && policy->runtime[0] != '/'))
    return false;
  profiles.n = get_u32 (in);
  if (in->bad || profiles.n > in->left / 4)
    return false;
  loaded = xmalloc0 (sizeof *loaded * (profiles.n + 1));
  profiles.loaded = loaded;
  for (i = 0; i < profiles.n; i++)
    {
      cleanup_error struct error *err = NULL;
      const char *source = get_str (in, false);

      if (source == NULL || policy_attach_profile (policy, source, &loaded[i], &err) < 0)
        return false;
    }
  get_settings (in, &profiles, policy->last_cap, &policy->defaults);
  n = get_u32 (in);
  if (in->bad || n > POLICY_MAX_RULES || n > in->left / RULE_MIN)
    return false;
  policy->rules = xmalloc0 (sizeof *policy->rules * (n + 1));
  for (i = 0; i < n && !in->bad; i++)
    {
      /* Counted first, so that policy_free releases a rule cut short.  */
      policy->n_rules++;
      get_rule (in, policy, &profiles, &policy->rules[i]);
    }
  return !in->bad && in->left == 0;
}

struct policy *
policy_cache_decode (char **entry, size_t len, const struct policy_cache_key *key,
                     const char *source, char **text, size_t text_len)
{
  struct policy *policy;
  struct header h;
  struct in in;

  if (len < sizeof h)
    return NULL;
  memcpy (&h, *entry, sizeof h);
  if (memcmp (h.magic, MAGIC, sizeof h.magic) != 0 || memcmp (&h.key, key, sizeof *key) != 0
      || h.payload_len != len - sizeof h
      || h.payload_hash != policy_cache_hash (*entry + sizeof h, h.payload_len))
    return NULL;
  in = (struct in){ .p = *entry + sizeof h, .left = h.payload_len };
  policy = policy_new (*text, text_len, source, key->last_cap);
  policy->cached = true;
  policy->arena = *entry;
  if (!decode_payload (&in, policy))
    {
      /* Given back: the caller still owns them.  */
      policy->text = NULL;
      policy->arena = NULL;
      policy_free (policy);
      return NULL;
    }
  *entry = NULL;
  *text = NULL;
  return policy;
}

/* DIR, opened, when only root can enter it; else -1.  */
static int
open_dir (const char *dir)
{
  cleanup_close int fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  struct stat st;

  if (fd < 0 || fstat (fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 077))
    return -1;
  return steal_fd (&fd);
}

static char *
entry_name (const struct policy_cache_key *key)
{
  char *name;
  xasprintf (&name, "policy-%016" PRIx64, key->source_hash);
  return name;
}

struct policy *
policy_cache_read (const char *dir, const struct policy_cache_key *key, const char *source,
                   char **text, size_t len)
{
  cleanup_error struct error *err = NULL;
  cleanup_free char *name = NULL, *buf = NULL;
  cleanup_close int dirfd = -1, fd = -1;
  struct stat st;
  size_t n;

  if ((dirfd = open_dir (dir)) < 0)
    return NULL;
  name = entry_name (key);
  fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode) || st.st_uid != 0 || (st.st_mode & 077)
      || st.st_nlink != 1 || st.st_size > ENTRY_MAX
      || util_read_fd (fd, ENTRY_MAX, "policy cache", &buf, &n, &err) < 0)
    return NULL;
  return policy_cache_decode (&buf, n, key, source, text, len);
}

void
policy_cache_write (const char *dir, const struct policy_cache_key *key,
                    const struct policy *policy)
{
  cleanup_free char *name = NULL, *tmp = NULL, *buf = NULL;
  cleanup_error struct error *err = NULL;
  cleanup_close int dirfd = -1, fd = -1;
  size_t len;

  /* A regex that does not compile is found when its rule is tried, as
     without a cache; such a policy is not worth keeping.  */
  if (!policy_regexes_compile (policy))
    return;
  /* The directory and, for the default, /run/capguard above it.  */
  if (mkdir (dir, 0700) < 0 && errno == ENOENT)
    {
      cleanup_free char *parent = xstrdup (dir);
      char *slash = strrchr (parent, '/');
      if (slash && slash != parent)
        {
          *slash = '\0';
          mkdir (parent, 0700);
          mkdir (dir, 0700);
        }
    }
  if ((dirfd = open_dir (dir)) < 0)
    return;
  name = entry_name (key);
  xasprintf (&tmp, ".%s.%d", name, (int)getpid ());
  buf = policy_cache_encode (policy, key, &len);
  /* Not fsync'd: an entry a crash tears fails its hash and is made again.  */
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  if (fchmod (fd, 0600) < 0 || util_write_all (fd, buf, len, &err) < 0 || close (steal_fd (&fd)) < 0
      || renameat (dirfd, tmp, dirfd, name) < 0)
    unlinkat (dirfd, tmp, 0);
}
