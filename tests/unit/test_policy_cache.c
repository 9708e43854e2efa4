/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The compiled policy cache: what it holds comes back as parsed, stale or
   damaged entries are never used, and only a root-only directory is.  */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capset.h"
#include "policy_cache.h"
#include "policy_internal.h"
#include "tap.h"
#include "util.h"

#define LAST 40

static char profile_dir[] = "/tmp/capguard-cache-profile-XXXXXX";
static char profile_path[sizeof profile_dir + 16];

/* A policy using every key, with an external profile at PROFILE_PATH.  */
static char *
rich_policy (void)
{
  char *text;

  xasprintf (
      &text,
      "{\"version\":1,\"action\":\"enforce\",\"capabilities\":{\"allow\":[\"KILL\",\"CHOWN\"],"
      "\"deny\":[\"SYS_ADMIN\"],\"inheritable\":[\"KILL\"],\"ambient\":[]},"
      "\"noNewPrivileges\":true,\"seccomp\":\"baseline\","
      "\"pingGroupRange\":\"auto\",\"privileged\":\"refuse\",\"userNamespaces\":\"deny\","
      "\"log\":{\"syslog\":false,\"file\":\"/var/log/capguard.log\"},\"runtime\":\"/usr/bin/runc\","
      "\"rules\":["
      "{\"name\":\"sys\",\"match\":{\"namespace\":\"kube-system\",\"pod\":\"p-.*\","
      "\"container\":\"c\",\"image\":\"i:1\",\"command\":\"/bin/sh\",\"uid\":0,"
      "\"annotations\":{\"a\":\"x|y\",\"b\":\".*\"}},\"action\":\"audit\","
      "\"capabilities\":{\"add\":[\"NET_RAW\"]},\"seccomp\":\"keep\",\"userNamespaces\":\"keep\","
      "\"privileged\":\"keep\",\"pingGroupRange\":\"keep\",\"noNewPrivileges\":false},"
      "{\"name\":\"base\",\"match\":{\"uid\":1000},\"seccomp\":\"baseline\","
      "\"seccompProfile\":\"%s\"},"
      "{\"name\":\"builtin\",\"match\":{\"pod\":\"b\"},\"seccomp\":\"require\"},"
      "{\"name\":\"all\",\"match\":{}}]}",
      profile_path);
  return text;
}

static struct policy *
parse (const char *text)
{
  cleanup_error struct error *err = NULL;
  struct policy *p = policy_parse (text, strlen (text), "/etc/capguard/policy.json", LAST, 0, &err);

  if (p == NULL)
    fprintf (stderr, "# %s\n", err->msg);
  return p;
}

static int
key_of (const char *text, struct policy_cache_key *key)
{
  return policy_cache_key ("/etc/capguard/policy.json", text, strlen (text), LAST, key);
}

/* Decodes ENTRY (a copy of it) for TEXT under KEY.  */
static struct policy *
decode (const char *entry, size_t len, const struct policy_cache_key *key, const char *text)
{
  cleanup_free char *e = xmalloc0 (len + 1), *t = xstrdup (text);

  memcpy (e, entry, len);
  return policy_cache_decode (&e, len, key, "/etc/capguard/policy.json", &t, strlen (text));
}

static int
test_round_trip (void)
{
  cleanup_free char *text = rich_policy (), *entry = NULL, *again = NULL;
  cleanup_policy struct policy *p = NULL, *q = NULL;
  struct policy_cache_key key;
  struct policy_subject s = { 0 };
  size_t len, len2;
  const char *broken;

  EXPECT ((p = parse (text)) != NULL);
  EXPECT (key_of (text, &key) == 0);
  entry = policy_cache_encode (p, &key, &len);
  q = decode (entry, len, &key, text);
  EXPECT (q != NULL && q->cached && !p->cached);
  /* Whatever was encoded comes back: encoding the decoded policy gives the
     same bytes.  */
  again = policy_cache_encode (q, &key, &len2);
  EXPECT (len2 == len && memcmp (entry, again, len) == 0);

  EXPECT_STR (q->source, "/etc/capguard/policy.json");
  EXPECT (q->text_len == strlen (text) && memcmp (q->text, text, q->text_len) == 0);
  EXPECT (q->defaults.action == POLICY_ENFORCE && q->defaults.allow == p->defaults.allow);
  EXPECT (q->defaults.deny == p->defaults.deny && q->defaults.inheritable == capset_bit (5));
  EXPECT (q->defaults.no_new_privileges && q->defaults.ping_group_range == POLICY_PING_AUTO);
  EXPECT (q->defaults.privileged == POLICY_PRIVILEGED_REFUSE);
  EXPECT (q->defaults.user_namespaces == POLICY_USERNS_DENY);
  EXPECT (!q->log_syslog);
  EXPECT_STR (q->log_file, "/var/log/capguard.log");
  EXPECT_STR (q->runtime, "/usr/bin/runc");
  EXPECT (q->n_rules == 4);
  EXPECT_STR (q->rules[0].name, "sys");
  EXPECT_STR (q->rules[0].field[FIELD_IMAGE].pattern, "i:1");
  EXPECT (q->rules[0].n_annotations == 2 && q->rules[0].has_uid && q->rules[0].uid == 0);
  EXPECT_STR (q->rules[0].annotations[1].key, "b");
  EXPECT (q->rules[0].settings.action == POLICY_AUDIT);
  /* Profiles: the built-in baseline (the top level's, one copy that the
     rules inherit) and a file's, read again.  */
  EXPECT_STR (q->defaults.seccomp_profile_source, "<built-in baseline>");
  EXPECT (q->rules[0].settings.seccomp_profile == NULL
          && p->rules[0].settings.seccomp_profile == NULL);
  EXPECT (q->rules[2].settings.seccomp_profile == q->defaults.seccomp_profile);
  EXPECT (q->rules[2].settings.seccomp == POLICY_SECCOMP_REQUIRE);
  EXPECT_STR (q->rules[1].settings.seccomp_profile_source, profile_path);
  EXPECT (q->rules[1].settings.seccomp_profile != p->rules[1].settings.seccomp_profile);
  EXPECT (json_equal ((json_t *)q->rules[1].settings.seccomp_profile,
                      (json_t *)p->rules[1].settings.seccomp_profile));

  /* Rules match as parsed; an annotation regex names its key.  */
  s.fields[FIELD_NAMESPACE] = "kube-system";
  s.fields[FIELD_POD] = "p-1";
  EXPECT (policy_select (q, &s, &broken) == &q->rules[3]);
  s.fields[FIELD_CONTAINER] = "c";
  s.fields[FIELD_IMAGE] = "i:1";
  s.fields[FIELD_COMMAND] = "/bin/sh";
  s.has_uid = true;
  s.annotations = json_pack ("{s:s, s:s}", "a", "y", "b", "");
  EXPECT (policy_select (q, &s, &broken) == &q->rules[0] && broken == NULL);
  json_decref ((json_t *)s.annotations);
  return 0;
}

static int
test_stale_or_damaged_never_used (void)
{
  cleanup_free char *text = rich_policy (), *entry = NULL;
  cleanup_policy struct policy *p = NULL;
  struct policy_cache_key key, other;
  size_t len, i;

  EXPECT ((p = parse (text)) != NULL);
  EXPECT (key_of (text, &key) == 0);
  entry = policy_cache_encode (p, &key, &len);

  /* Any other text, kernel, policy path or binary.  */
  {
    cleanup_free char *edited = xstrdup (text);
    char *at = strstr (edited, "\"enforce\"");
    EXPECT (at != NULL);
    at[1] = 'E';
    EXPECT (key_of (edited, &other) == 0);
    EXPECT (decode (entry, len, &other, edited) == NULL);
  }
  other = key, other.last_cap = LAST - 1;
  EXPECT (decode (entry, len, &other, text) == NULL);
  other = key, other.source_hash ^= 1;
  EXPECT (decode (entry, len, &other, text) == NULL);
  other = key, other.exe_ctime_nsec ^= 1;
  EXPECT (decode (entry, len, &other, text) == NULL);
  other = key, other.format++;
  EXPECT (decode (entry, len, &other, text) == NULL);

  /* Torn at every length, or one bit flipped anywhere.  */
  for (i = 0; i < len; i++)
    {
      cleanup_policy struct policy *q = decode (entry, i, &key, text);
      EXPECT (q == NULL);
    }
  for (i = 0; i < len; i++)
    {
      cleanup_policy struct policy *q = NULL;
      entry[i] ^= 0x10;
      q = decode (entry, len, &key, text);
      entry[i] ^= 0x10;
      EXPECT (q == NULL);
    }
  return 0;
}

/* A payload whose hash is right but whose content is not: each is refused.
   The minimal policy's payload, laid out as policy_cache.c writes it.  */
enum
{
  AT_SYSLOG = 0,
  AT_LOG_FILE = 1,
  AT_RUNTIME = 5,
  AT_PROFILES = 9,
  AT_ACTION = 13,
  AT_ALLOW = 14,
  AT_NNP = 46,
  AT_SECCOMP = 47,
  AT_PING = 48,
  AT_USERNS = 50,
  AT_PROFILE = 51,
  AT_RULES = 55,
  PAYLOAD_LEN = 59,
};

static int
test_hostile_payloads (void)
{
  static const char text[] = "{\"version\":1,\"capabilities\":{\"allow\":[\"KILL\"]}}";
  cleanup_free char *entry = NULL;
  cleanup_policy struct policy *p = NULL;
  struct policy_cache_key key;
  const size_t header = sizeof (char[8]) + sizeof key + 16;
  struct
  {
    size_t at;
    unsigned char byte;
  } cases[] = {
    { AT_SYSLOG, 2 },      /* not a boolean */
    { AT_LOG_FILE, 3 },    /* a string longer than what is left, or without its NUL */
    { AT_PROFILES, 1 },    /* a profile that is not there */
    { AT_ACTION, 3 },      /* no such action */
    { AT_ALLOW + 7, 1 },   /* a capability past the kernel's last */
    { AT_NNP, 2 },         /* not a boolean */
    { AT_SECCOMP, 2 },     /* baseline with no profile */
    { AT_PING, 9 },        /* no such setting */
    { AT_USERNS, 1 },      /* deny with no profile */
    { AT_PROFILE, 0 },     /* profile 0 of none */
    { AT_RULES, 1 },       /* a rule that is not there */
    { AT_RULES + 3, 0x7f } /* more rules than bytes */
  };
  size_t len, i;

  EXPECT ((p = parse (text)) != NULL);
  EXPECT (key_of (text, &key) == 0);
  entry = policy_cache_encode (p, &key, &len);
  EXPECT (len == header + PAYLOAD_LEN);
  {
    cleanup_free char *sealed = policy_cache_seal (&key, entry + header, PAYLOAD_LEN, &len);
    cleanup_policy struct policy *q = decode (sealed, len, &key, text);
    EXPECT (q != NULL && "the unmodified payload decodes");
  }
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_free char *payload = xmalloc0 (PAYLOAD_LEN), *sealed = NULL;
      cleanup_policy struct policy *q = NULL;

      memcpy (payload, entry + header, PAYLOAD_LEN);
      payload[cases[i].at] = cases[i].byte;
      sealed = policy_cache_seal (&key, payload, PAYLOAD_LEN, &len);
      q = decode (sealed, len, &key, text);
      if (q != NULL)
        fprintf (stderr, "# case %zu (byte %zu) decoded\n", i, cases[i].at);
      EXPECT (q == NULL);
    }
  {
    /* Trailing bytes.  */
    cleanup_free char *payload = xmalloc0 (PAYLOAD_LEN + 1), *sealed = NULL;
    memcpy (payload, entry + header, PAYLOAD_LEN);
    sealed = policy_cache_seal (&key, payload, PAYLOAD_LEN + 1, &len);
    EXPECT (decode (sealed, len, &key, text) == NULL);
  }
  return 0;
}

/* A policy of N rules, big enough for the cache at N = 300.  */
static char *
big_policy (size_t n, const char *action)
{
  char *text = NULL;
  size_t len, i;
  FILE *f = open_memstream (&text, &len);

  if (f == NULL)
    abort ();
  fprintf (f,
           "{\"version\":1,\"action\":\"%s\",\"capabilities\":{\"allow\":[\"KILL\"]},\"rules\":[",
           action);
  for (i = 0; i < n; i++)
    fprintf (f,
             "%s{\"name\":\"r%zu\",\"match\":{\"namespace\":\"team-%zu\",\"container\":"
             "\"app-%zu|worker-%zu\"},\"capabilities\":{\"add\":[\"NET_RAW\"]}}",
             i ? "," : "", i, i, i, i);
  fputs ("]}", f);
  if (fclose (f) != 0)
    abort ();
  return text;
}

static int
write_file (const char *path, const char *text, mode_t mode)
{
  cleanup_close int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  cleanup_error struct error *err = NULL;

  if (fd < 0 || util_write_all (fd, text, strlen (text), &err) < 0)
    return -1;
  return fchmod (fd, mode);
}

static struct policy *
load (const char *path, unsigned flags)
{
  cleanup_error struct error *err = NULL;
  struct policy *p = policy_load (path, LAST, flags, &err);

  if (p == NULL)
    fprintf (stderr, "# %s\n", err->msg);
  return p;
}

/* Whether PATH's policy loads (-1 when not) on the hot path from the cache.  */
static int
load_cached (const char *path)
{
  cleanup_policy struct policy *p = load (path, POLICY_HOT);
  return p ? p->cached : -1;
}

static int
test_directory_and_entries (void)
{
  char dir[] = "/tmp/capguard-cache-XXXXXX";
  cleanup_free char *cache = NULL, *file = NULL, *text = big_policy (300, "rewrite");
  cleanup_free char *entry = NULL, *moved = NULL;
  struct policy_cache_key key;
  struct stat st;

  if (geteuid () != 0)
    return 77; /* the cache is root's */
  EXPECT (mkdtemp (dir) != NULL);
  xasprintf (&cache, "%s/cache", dir);
  xasprintf (&file, "%s/policy.json", dir);
  EXPECT (strlen (text) >= POLICY_CACHE_MIN);
  EXPECT (write_file (file, text, 0644) == 0);
  EXPECT (key_of (text, &key) == 0);
  EXPECT (setenv ("CAPGUARD_CACHE_DIR", cache, 1) == 0);
  EXPECT_STR (policy_cache_dir (), cache);

  {
    cleanup_policy struct policy *a = load (file, 0), *b = NULL, *c = NULL;
    /* Not on the cold path: check and explain never write it.  */
    EXPECT (a && !a->cached && stat (cache, &st) < 0);
    b = load (file, POLICY_HOT);
    EXPECT (b && !b->cached);
    EXPECT (stat (cache, &st) == 0 && S_ISDIR (st.st_mode) && (st.st_mode & 07777) == 0700);
    c = load (file, POLICY_HOT);
    EXPECT (c && c->cached && c->n_rules == 300);
  }
  {
    /* One entry, root's, 0600.  */
    char cmd[256];
    snprintf (cmd, sizeof cmd, "test $(ls -A %s | wc -l) = 1", cache);
    EXPECT (system (cmd) == 0);
    snprintf (cmd, sizeof cmd, "test \"$(stat -c %%u:%%a %s/policy-*)\" = 0:600", cache);
    EXPECT (system (cmd) == 0);
  }

  /* An edit of the same size and timestamps is seen: the text is hashed.  */
  {
    cleanup_policy struct policy *p = NULL;
    struct timespec times[2];
    cleanup_free char *edited = big_policy (300, "enforce");
    EXPECT (stat (file, &st) == 0);
    times[0] = st.st_atim, times[1] = st.st_mtim;
    EXPECT (strlen (edited) == strlen (text));
    EXPECT (write_file (file, edited, 0644) == 0);
    EXPECT (utimensat (AT_FDCWD, file, times, 0) == 0);
    p = load (file, POLICY_HOT);
    EXPECT (p && !p->cached && p->defaults.action == POLICY_ENFORCE);
    policy_free (steal_pointer (&p));
    p = load (file, POLICY_HOT);
    EXPECT (p && p->cached && p->defaults.action == POLICY_ENFORCE);
  }

  /* Entries that are not root's alone are not read.  */
  xasprintf (&entry, "%s/policy-%016llx", cache,
             (unsigned long long)policy_cache_hash (file, strlen (file)));
  xasprintf (&moved, "%s.moved", entry);
  EXPECT (load_cached (file) == 1);
  EXPECT (chmod (entry, 0644) == 0);
  EXPECT (load_cached (file) == 0);
  /* ... and the entry made again is.  */
  EXPECT (stat (entry, &st) == 0 && (st.st_mode & 07777) == 0600);
  EXPECT (load_cached (file) == 1);
  EXPECT (link (entry, moved) == 0);
  EXPECT (load_cached (file) == 0 && "a hard link is refused");
  EXPECT (unlink (moved) == 0 && rename (entry, moved) == 0 && symlink (moved, entry) == 0);
  EXPECT (load_cached (file) == 0 && "a symlink is not followed");
  EXPECT (lstat (entry, &st) == 0 && S_ISREG (st.st_mode) && "and is replaced");
  EXPECT (unlink (moved) == 0);
  EXPECT (chown (entry, 1000, 0) == 0);
  EXPECT (load_cached (file) == 0 && "another owner's is not read");
  EXPECT (stat (entry, &st) == 0 && st.st_uid == 0);

  /* A directory others can enter is neither read nor written.  */
  EXPECT (chmod (cache, 0755) == 0);
  EXPECT (unlink (entry) == 0);
  EXPECT (load_cached (file) == 0 && stat (entry, &st) < 0);
  EXPECT (chmod (cache, 0700) == 0);

  /* A regex that does not compile: the policy loads (the rule fails when
     tried), and is not cached.  */
  {
    cleanup_free char *bad = big_policy (300, "rewrite");
    char *at = strstr (bad, "app-7|");
    EXPECT (at != NULL);
    at[0] = '(';
    EXPECT (write_file (file, bad, 0644) == 0);
    EXPECT (load_cached (file) == 0 && stat (entry, &st) < 0);
  }

  /* Too small to be worth it.  */
  {
    cleanup_free char *small = big_policy (3, "rewrite");
    EXPECT (write_file (file, small, 0644) == 0);
    EXPECT (load_cached (file) == 0 && stat (entry, &st) < 0);
  }

  EXPECT (setenv ("CAPGUARD_CACHE_DIR", "", 1) == 0);
  EXPECT (policy_cache_dir () == NULL);
  EXPECT (setenv ("CAPGUARD_CACHE_DIR", "relative/dir", 1) == 0);
  EXPECT (policy_cache_dir () == NULL);
  EXPECT (unsetenv ("CAPGUARD_CACHE_DIR") == 0);
  EXPECT_STR (policy_cache_dir (), POLICY_CACHE_DIR);
  {
    char cmd[256];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    EXPECT (system (cmd) == 0);
  }
  return 0;
}

static int
setup (void)
{
  cleanup_error struct error *err = NULL;
  int fd;
  static const char profile[] = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
                                "[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"}]}";

  EXPECT (mkdtemp (profile_dir) != NULL);
  snprintf (profile_path, sizeof profile_path, "%s/profile.json", profile_dir);
  fd = open (profile_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  EXPECT (fd >= 0 && util_write_all (fd, profile, strlen (profile), &err) == 0);
  EXPECT (fchmod (fd, 0644) == 0 && close (fd) == 0);
  return 0;
}

static int
teardown (void)
{
  EXPECT (unlink (profile_path) == 0 && rmdir (profile_dir) == 0);
  return 0;
}

TAP_MAIN (T (setup), T (test_round_trip), T (test_stale_or_damaged_never_used),
          T (test_hostile_payloads), T (test_directory_and_entries), T (teardown))
