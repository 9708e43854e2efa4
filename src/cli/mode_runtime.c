/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "command.h"
#include "enforce.h"
#include "engine.h"
#include "log.h"
#include "modes.h"
#include "oci.h"
#include "proc.h"
#include "report.h"
#include "runtime_args.h"
#include "util.h"

/* The wrapper's rewrites (a bundle's config.json, an exec's process file)
   are renamed into place, so every reader sees the old file or the new one
   whole, but not fsync'd: the reader is the runtime the wrapper starts a
   moment later, through the page cache.  Durability would only matter after
   a crash, and then the container is gone with the node: containerd, CRI-O
   and Docker keep bundles on /run, podman writes config.json again before
   every start, and whatever creates the container again calls the wrapper,
   which rewrites it again.  The two fsyncs of a rewrite cost 0.3 ms on the
   development VM's virtio disk (1.5% of a `runc run`), and milliseconds on a
   disk that honours cache flushes, under /var/lib (podman) or a /run that is
   not tmpfs.  */
#define BUNDLE_DURABILITY UTIL_VOLATILE

/* The runtime wrapper: an engine runs `capguard-runtime` where it would
   run runc.  For create/run it rewrites <bundle>/config.json before the
   runtime reads it, for exec the --process file and the --cap flags, then
   execs the real runtime with the same command line (SPEC §2: only a step
   before the runtime reads the config can rewrite it).  */

static bool
same_file (const char *a, const char *b)
{
  struct stat sa, sb;

  return stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_dev == sb.st_dev
         && sa.st_ino == sb.st_ino;
}

/* NAME found on PATH (the engine's, which the wrapper inherits; the
   usual directories when there is none), skipping capguard itself there
   (it may be installed as `runc` ahead of the real one).  */
static char *
on_path (const char *name, struct error **err)
{
  const char *path = getenv ("PATH");
  cleanup_free char *dirs = xstrdup (
      path && path[0] ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  char *dir, *save = NULL;

  for (dir = strtok_r (dirs, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      char *candidate;

      if (dir[0] != '/')
        continue;
      xasprintf (&candidate, "%s/%s", dir, name);
      if (access (candidate, X_OK) == 0 && !same_file (candidate, "/proc/self/exe"))
        return candidate;
      free (candidate);
    }
  return make_error (err, 0, "no `%s` on PATH other than capguard itself", name), NULL;
}

/* The real runtime: EXPLICIT (--runtime), $CAPGUARD_RUNTIME, the policy's
   `runtime` (an override for every handler), else what the wrapper's own
   name says it stands in front of (ARGV0: capguard-runtime.d/usr/bin/crun
   runs /usr/bin/crun, capguard-runtime.d/NAME runs NAME on PATH,
   capguard-runtime runs runc on PATH).  Never capguard.  */
static char *
resolve_runtime (const char *explicit, const struct policy *policy, const char *argv0,
                 struct error **err)
{
  cleanup_free char *behind = argv0 ? engine_wrapper_target (argv0) : NULL;
  const char *chosen = explicit;

  if (chosen == NULL && getenv ("CAPGUARD_RUNTIME") && getenv ("CAPGUARD_RUNTIME")[0])
    chosen = getenv ("CAPGUARD_RUNTIME");
  if (chosen == NULL && policy)
    chosen = policy->runtime;
  if (chosen == NULL && behind && behind[0] == '/')
    chosen = behind;
  if (chosen)
    {
      if (chosen[0] != '/')
        return make_error (err, 0, "runtime `%s` is not an absolute path", chosen), NULL;
      if (access (chosen, X_OK) < 0)
        return make_error (err, errno, "runtime `%s`", chosen), NULL;
      if (same_file (chosen, "/proc/self/exe"))
        return make_error (err, 0, "runtime `%s` is capguard itself: refusing to loop", chosen),
               NULL;
      return xstrdup (chosen);
    }
  return on_path (behind ? behind : "runc", err);
}

/* containerd's shim reports why create failed from the last error in
   runc's --log file (go-runc's getLastRuntimeError), so a refusal is
   appended there in runc's own format as well as printed on stderr.  */
static void
runtime_log (const struct runtime_args *ra, const char *msg)
{
  cleanup_free char *line = NULL;
  cleanup_close int fd = -1;
  char stamp[64];
  struct tm tm;
  time_t now = time (NULL);
  int len;

  if (ra->log == NULL)
    return;
  gmtime_r (&now, &tm);
  strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (ra->log_format && strcmp (ra->log_format, "json") == 0)
    {
      json_auto_t *rec = json_pack ("{s:s, s:s, s:s}", "level", "error", "msg", msg, "time", stamp);
      cleanup_free char *text = rec ? json_dumps (rec, JSON_COMPACT) : NULL;
      if (text == NULL)
        return;
      len = xasprintf (&line, "%s\n", text);
    }
  else
    {
      json_auto_t *quoted = json_string (msg);
      cleanup_free char *q = quoted ? json_dumps (quoted, JSON_ENCODE_ANY) : NULL;
      if (q == NULL)
        return;
      len = xasprintf (&line, "time=\"%s\" level=error msg=%s\n", stamp, q);
    }
  fd = open (ra->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
  if (fd < 0 || write (fd, line, len) != len)
    log_warning ("runtime log `%s`: %s", ra->log, strerror (errno));
}

/* Fails the command: the reason goes to the decision log, the runtime log
   and (by main) stderr.  */
static int
refuse (const struct policy *policy, const struct runtime_args *ra, const char *stage,
        const char *id, int ret, struct error **err)
{
  if (ret < 0)
    report_failure (&(struct report_at){ policy, "runtime", stage, id }, error_msg (*err));
  if (id)
    error_wrap (err, "container %s", id);
  runtime_log (ra, error_msg (*err));
  return ret;
}

/* create, run: <bundle>/config.json rewritten in place.  */
static int
rewrite_bundle (const struct policy *policy, const struct runtime_args *ra, const char *stage,
                const char *id, struct error **err)
{
  cleanup_free char *cwd = NULL, *buf = NULL, *out = NULL, *copy1 = NULL, *copy2 = NULL;
  cleanup_close int dirfd = -1, cfgfd = -1;
  struct oci_facts facts = { 0 };
  struct decision d = { 0 };
  json_auto_t *config = NULL;
  const char *bundle = ra->bundle, *name = "config.json";
  size_t len, out_len = 0;
  int ret = -1;

  if (bundle == NULL || bundle[0] == '\0')
    {
      cwd = getcwd (NULL, 0);
      if (cwd == NULL)
        return make_error (err, errno, "working directory");
      bundle = cwd;
    }
  dirfd = open (bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return make_error (err, errno, "bundle `%s`", bundle);
  /* crun's --config FILE (relative to the working directory, as crun
     resolves it before it enters the bundle) replaces the bundle's
     config.json: that is the file crun applies.  */
  if (ra->config)
    {
      copy1 = xstrdup (ra->config);
      copy2 = xstrdup (ra->config);
      name = basename (copy2);
      cfgfd = open (dirname (copy1), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (cfgfd < 0)
        return make_error (err, errno, "--config `%s`", ra->config);
      close (dirfd);
      dirfd = steal_fd (&cfgfd);
    }
  if (util_read_file_at (dirfd, name, CAPGUARD_MAX_CONFIG, &buf, &len, err) < 0)
    return error_wrap (err, "bundle `%s`", bundle);
  config = oci_config_parse (buf, len, name, err);
  if (config == NULL)
    return error_wrap (err, "bundle `%s`", bundle);
  if (enforce_rewrite_text (policy, buf, len, config, &facts, &d, &out, &out_len, err) < 0)
    {
      error_wrap (err, "bundle `%s`: %s", bundle, name);
      goto done;
    }
  if (out && util_replace_file_at (dirfd, name, out, out_len, BUNDLE_DURABILITY, err) < 0)
    {
      error_wrap (err, "bundle `%s`", bundle);
      goto done;
    }
  ret = report_outcome (&(struct report_at){ policy, "runtime", stage, id }, &d, &facts, err);
done:
  decision_release (&d);
  oci_facts_release (&facts);
  return ret;
}

/* Runs `RUNTIME [--root R] state ID` and returns its output.  */
static char *
runtime_state (const char *runtime, const struct runtime_args *ra, const char *id, size_t *len,
               struct error **err)
{
  cleanup_error struct error *why = NULL;
  char *argv[6], *out;
  int i = 0;

  argv[i++] = (char *)runtime;
  if (ra->root)
    {
      argv[i++] = (char *)"--root";
      argv[i++] = (char *)ra->root;
    }
  argv[i++] = (char *)"state";
  argv[i++] = (char *)id;
  argv[i] = NULL;
  out = util_run_capture (argv, CAPGUARD_MAX_STATE, false, len, &why);
  if (out == NULL)
    return make_error (err, 0, "`%s state %s` failed: is the container there? (%s)", runtime, id,
                       why->msg),
           NULL;
  return out;
}

/* STATE's bundle config and that config's facts.  */
static int
container_config (const struct policy *policy, const struct oci_state *state, json_t **config,
                  struct oci_facts *facts, struct error **err)
{
  cleanup_free char *config_buf = NULL;
  size_t config_len;

  if (oci_bundle_read_config (state->bundle, &config_buf, &config_len, err) < 0)
    return -1;
  *config = oci_config_parse (config_buf, config_len, "config.json", err);
  if (*config == NULL)
    return error_wrap (err, "bundle `%s`", state->bundle);
  if (oci_config_facts (*config, policy->last_cap, facts, err) < 0)
    return error_wrap (err, "bundle `%s`: config.json", state->bundle);
  return 0;
}

/* runc keeps each container's state in ROOT/ID/state.json (libcontainer's
   State), whose config.labels name the bundle.  Reading it saves starting
   the runtime, a Go program, for `state` on every exec: every kubectl exec
   and exec probe of the node.  It is trusted only as runc leaves it: ROOT
   a directory owned by root and writable by nobody else (runc makes it
   0700), the container's directory and file not symlinks, the file's id
   the one asked for.  Anything else (crun keeps a different file, a
   missing container) returns NULL and the runtime is asked.  */
static char *
runc_state_bundle (const char *runtime, const struct runtime_args *ra, const char *id,
                   bool *shadowed)
{
  cleanup_error struct error *ignored = NULL;
  cleanup_free char *buf = NULL, *copy = xstrdup (runtime);
  cleanup_close int rootfd = -1, dirfd = -1;
  json_auto_t *doc = NULL;
  const char *root = ra->root;
  struct stat sb;
  json_t *label;
  size_t len, i;

  if (root == NULL && strcmp (basename (copy), "runc") == 0)
    root = "/run/runc";
  if (root == NULL || id[0] == '\0' || id[0] == '.' || strchr (id, '/'))
    return NULL;
  rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0 || fstat (rootfd, &sb) < 0 || sb.st_uid != 0 || (sb.st_mode & 022))
    return NULL;
  dirfd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0
      || util_read_file_at (dirfd, "state.json", CAPGUARD_MAX_CONFIG, &buf, &len, &ignored) < 0)
    return NULL;
  doc = json_loadb (buf, len, JSON_REJECT_DUPLICATES, NULL);
  if (!json_is_string (json_object_get (doc, "id"))
      || strcmp (json_string_value (json_object_get (doc, "id")), id) != 0)
    return NULL;
  /* runc writes the config's annotations as labels first, then its own
     bundle=CWD last (libcontainer/specconv): the last one is runc's.  An
     annotation named `bundle` comes before it, and `runc exec` (which
     takes the first) would read its process from there.  */
  {
    const char *bundle = NULL;
    size_t n = 0;
    json_array_foreach (json_object_get (json_object_get (doc, "config"), "labels"), i, label)
      if (json_is_string (label) && strncmp (json_string_value (label), "bundle=", 7) == 0)
        {
          bundle = json_string_value (label) + 7;
          n++;
        }
    *shadowed = n > 1;
    return bundle && bundle[0] == '/' ? xstrdup (bundle) : NULL;
  }
}

/* crun keeps its own copy of a container's config, ROOT/ID/config.json
   beside ROOT/ID/status (libcrun/status.c), and reads it, not the bundle,
   for an exec without --process (and for a --process file without
   capabilities).  ROOT is --root, else $XDG_RUNTIME_DIR/crun, else
   /run/crun.  Trusted only as crun leaves it: ROOT owned by root and
   writable by nobody else, the container's directory not a symlink.
   Returns that directory, or NULL when there is none.  */
static char *
crun_state_dir (const struct runtime_args *ra, const char *id)
{
  cleanup_free char *xdg_root = NULL, *dir = NULL;
  cleanup_close int rootfd = -1, dirfd = -1;
  const char *root = ra->root, *xdg = getenv ("XDG_RUNTIME_DIR");
  struct stat sb;

  if (root == NULL && xdg && xdg[0])
    root = xdg_root = (xasprintf (&xdg_root, "%s/crun", xdg), xdg_root);
  if (root == NULL)
    root = "/run/crun";
  if (id[0] == '\0' || id[0] == '.' || strchr (id, '/'))
    return NULL;
  rootfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0 || fstat (rootfd, &sb) < 0 || sb.st_uid != 0 || (sb.st_mode & 022))
    return NULL;
  dirfd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dirfd < 0 || faccessat (dirfd, "status", F_OK, AT_SYMLINK_NOFOLLOW) < 0
      || fstatat (dirfd, "config.json", &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (sb.st_mode))
    return NULL;
  xasprintf (&dir, "%s/%s", root, id);
  return steal_pointer (&dir);
}

/* Writes DOC (a config, or {"process": ...} whose PROCESS is written) to
   NAME in DIRFD, atomically.  */
static int
write_json_at (int dirfd, const char *name, json_t *doc, struct error **err)
{
  cleanup_free char *out = json_dumps (doc, JSON_COMPACT);

  if (out == NULL)
    return make_error (err, ENOMEM, "cannot serialise `%s`", name);
  return util_replace_file_at (dirfd, name, out, strlen (out), BUNDLE_DURABILITY, err);
}

/* The capability edit that gives a process whose config holds SETS
   exactly what decision D keeps of them.  */
static void
exec_edit (const struct decision *d, const uint64_t *sets, uint64_t *keep, bool *changed)
{
  int k;

  for (k = 0; k < CAPSET_COUNT; k++)
    {
      keep[k] = d->final[k] & sets[k];
      changed[k] = keep[k] != sets[k] || d->unknown_removed[k];
    }
}

/* exec: the rule is the container's (its config and annotations, as at
   create), the sets are the exec'd process's, and what capguard decides is
   what runc applies:
   - with --process FILE, the file is rewritten; a file with no
     capabilities (or null) makes runc fall back to the container's stored
     sets, so capguard writes them in, clamped, whatever they were;
   - without it, runc builds the process from the bundle's config.json
     (runc exec.go getProcess), so that file's process is rewritten;
   - --cap flags (added to bounding, effective and permitted) beyond the
     policy are dropped from the command line.
   seccomp and sysctls are the container's, judged at create: an exec can
   change neither, so they are left out of its decision.  */
/* What exec works on: the container (its config, identity and sets) and
   the process it is about to start.  */
struct exec_job
{
  struct oci_state state;
  char *state_buf, *bundle;
  json_t *state_doc, *config, *merged;
  struct oci_facts facts; /* the container's identity, the process's sets */
  char *proc_buf, *proc_dir, *proc_name;
  json_t *proc_doc, *process;  /* --process FILE, and its process object */
  struct oci_facts exec_facts; /* what the file says */
  uint64_t sets[CAPSET_COUNT]; /* the sets of the record written: the process file's, or the
                                  container's as the runtime keeps them */
  bool fill_caps;              /* the file has none: the container's are written in */
  char *record;                /* the directory of the config the runtime builds an exec's process
                                  from: the bundle (runc), crun's own copy (crun) */
  bool crun;                   /* RECORD is crun's: --cap replaces the sets */
  bool shadowed;               /* an annotation `bundle` shadows runc's own label */
  uint64_t cap_flags;          /* --cap, when the runtime applies them (no --process) */
};

static void
exec_job_release (struct exec_job *j)
{
  free (j->state_buf);
  free (j->bundle);
  free (j->proc_buf);
  free (j->proc_dir);
  free (j->proc_name);
  free (j->record);
  json_decref (j->state_doc);
  json_decref (j->config);
  json_decref (j->merged);
  json_decref (j->proc_doc);
  oci_facts_release (&j->facts);
  oci_facts_release (&j->exec_facts);
}

/* The container ID: the record the runtime keeps of it (crun's own copy
   of its config; else the bundle, from runc's state.json or `RUNTIME
   state`), that config and its identity.  The identity comes only from
   what the runtime recorded, never from a label the caller could set.  */
static int
exec_container (const struct policy *policy, const char *runtime, const struct runtime_args *ra,
                const char *id, struct exec_job *j, struct error **err)
{
  if ((j->record = crun_state_dir (ra, id)) != NULL)
    {
      cleanup_free char *buf = NULL;
      cleanup_close int dirfd = open (j->record, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      size_t len;

      j->crun = true;
      if (dirfd < 0)
        return make_error (err, errno, "`%s`", j->record);
      if (util_read_file_at (dirfd, "config.json", CAPGUARD_MAX_CONFIG, &buf, &len, err) < 0)
        return error_wrap (err, "crun's copy of the container's config");
      j->config = oci_config_parse (buf, len, "config.json", err);
      if (j->config == NULL || oci_config_facts (j->config, policy->last_cap, &j->facts, err) < 0)
        return error_wrap (err, "`%s/config.json`", j->record);
      j->state.id = id;
    }
  else
    {
      j->bundle = runc_state_bundle (runtime, ra, id, &j->shadowed);
      if (j->bundle)
        {
          j->state.id = id;
          j->state.bundle = j->bundle;
        }
      else
        {
          size_t len;
          j->state_buf = runtime_state (runtime, ra, id, &len, err);
          if (j->state_buf == NULL)
            return -1;
          j->state_doc = oci_state_parse (j->state_buf, len, "runtime state", &j->state, err);
          if (j->state_doc == NULL)
            return -1;
        }
      if (j->shadowed && ra->process == NULL)
        {
          /* runc exec would build the process from the config.json of a
             directory the container's creator chose.  */
          make_error (err, 0,
                      "an annotation `bundle` shadows the container's bundle, and `runc exec` "
                      "without --process would read its process from there: refused");
          return 1;
        }
      if (container_config (policy, &j->state, &j->config, &j->facts, err) < 0)
        return -1;
      j->record = xstrdup (j->state.bundle);
    }
  memcpy (j->sets, j->facts.sets, sizeof j->sets);
  j->facts.seccomp = OCI_SECCOMP_CONFINED;
  j->facts.network_ns = false;
  j->facts.network_unknown = NULL;
  /* The container's identity: its annotations with the runtime's view.  */
  return oci_facts_add_annotations (&j->facts, j->state.annotations, "in the runtime's state",
                                    &j->merged, err);
}

/* --process FILE: its sets are the process's; a file without any gets the
   container's (runc would apply them), clamped, written in.  */
static int
exec_process_file (const struct policy *policy, const struct runtime_args *ra, struct exec_job *j,
                   struct error **err)
{
  cleanup_close int dirfd = -1;
  cleanup_free char *copy1 = xstrdup (ra->process), *copy2 = xstrdup (ra->process);
  json_t *caps;
  size_t len;
  int k;

  j->proc_dir = xstrdup (dirname (copy1));
  j->proc_name = xstrdup (basename (copy2));
  dirfd = open (j->proc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return make_error (err, errno, "process file `%s`", ra->process);
  if (util_read_file_at (dirfd, j->proc_name, CAPGUARD_MAX_CONFIG, &j->proc_buf, &len, err) < 0)
    return error_wrap (err, "process file `%s`", ra->process);
  j->proc_doc = oci_process_parse (j->proc_buf, len, "process file", &j->process, err);
  if (j->proc_doc == NULL
      || oci_config_facts (j->proc_doc, policy->last_cap, &j->exec_facts, err) < 0)
    return error_wrap (err, "`%s`", ra->process);
  j->facts.caps_present = true;
  j->facts.no_new_privileges = j->exec_facts.no_new_privileges;
  if (!j->exec_facts.caps_present)
    {
      caps = json_object_get (json_object_get (j->config, "process"), "capabilities");
      j->fill_caps = true;
      if (json_object_set_new (j->process, "capabilities",
                               json_is_object (caps) ? json_deep_copy (caps) : json_object ())
          < 0)
        return make_error (err, ENOMEM, "cannot build the process");
      return 0;
    }
  for (k = 0; k < CAPSET_COUNT; k++)
    {
      j->facts.sets[k] = j->exec_facts.sets[k];
      j->facts.set_present[k] = j->exec_facts.set_present[k];
      json_decref (j->facts.unknown[k]);
      j->facts.unknown[k] = steal_pointer (&j->exec_facts.unknown[k]);
    }
  memcpy (j->sets, j->exec_facts.sets, sizeof j->sets);
  return 0;
}

/* --cap flags.  runc adds them to bounding, effective, permitted and
   ambient (the kernel raising an ambient one only when it is inheritable
   too: exec.go getProcess); crun makes them the whole of bounding,
   effective and permitted (ambient too, which needs inheritable, which it
   empties: exec.c).  With --process both ignore them: they are still
   counted as added, and dropped beyond the policy, for a runtime that
   would not.  One neither knows refuses the exec (1).  */
static int
exec_cap_flags (const struct policy *policy, const struct runtime_args *ra, char **argv,
                struct exec_job *j, struct error **err)
{
  uint64_t flags = 0;
  size_t i;
  int k;

  for (i = 0; i < ra->n_caps; i++)
    {
      const char *name = runtime_args_cap_value (ra, argv, i);
      int cap = capset_parse_config_name (name, policy->last_cap);
      if (cap < 0)
        {
          make_error (err, 0, "--cap `%s` is not a capability runc knows", name);
          return 1;
        }
      flags |= capset_bit (cap);
    }
  j->cap_flags = ra->process ? 0 : flags;
  if (flags == 0)
    return 0;
  if (j->crun && ra->process == NULL)
    {
      for (k = 0; k < CAPSET_COUNT; k++)
        j->facts.sets[k] = 0;
      j->facts.sets[CAPSET_BOUNDING] = j->facts.sets[CAPSET_EFFECTIVE]
          = j->facts.sets[CAPSET_PERMITTED] = flags;
      return 0;
    }
  j->facts.sets[CAPSET_BOUNDING] |= flags;
  j->facts.sets[CAPSET_EFFECTIVE] |= flags;
  j->facts.sets[CAPSET_PERMITTED] |= flags;
  j->facts.sets[CAPSET_AMBIENT] |= flags & j->facts.sets[CAPSET_INHERITABLE];
  return 0;
}

/* A --cap flag stays on the command line only when what it adds is kept.  */
static void
exec_drop_flags (const struct policy *policy, const struct runtime_args *ra, char **argv,
                 const struct decision *d, bool *drop)
{
  size_t i;

  for (i = 0; i < ra->n_caps; i++)
    {
      int cap = capset_parse_config_name (runtime_args_cap_value (ra, argv, i), policy->last_cap);
      if (capset_has (d->final[CAPSET_BOUNDING], cap))
        continue;
      drop[ra->caps[i]] = true;
      if (!ra->cap_joined[i])
        drop[ra->caps[i] + 1] = true;
    }
}

/* Writes the decided sets into the process file, or the bundle's
   config.json when there is none.  */
static int
exec_write (const struct policy *policy, const struct runtime_args *ra, const struct decision *d,
            struct exec_job *j, struct error **err)
{
  uint64_t keep[CAPSET_COUNT];
  bool changed[CAPSET_COUNT];
  struct oci_edit edit = { .keep = keep, .changed = changed };
  cleanup_close int dirfd = -1;
  const char *dir = j->process ? j->proc_dir : j->record;

  exec_edit (d, j->sets, keep, changed);
  if (d->outcome != ENFORCE_REWRITTEN)
    memset (changed, 0, sizeof changed);
  edit.set_nnp = d->outcome == ENFORCE_REWRITTEN && d->set_nnp;
  if (oci_config_apply (j->process ? j->proc_doc : j->config, &edit, policy->last_cap, err) < 0)
    return -1;
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return make_error (err, errno, "open `%s`", dir);
  if (write_json_at (dirfd, j->process ? j->proc_name : "config.json",
                     j->process ? j->process : j->config, err)
      < 0)
    return error_wrap (err, "%s", j->process ? ra->process : j->record);
  return 0;
}

static int
rewrite_exec (const struct policy *policy, const char *runtime, const struct runtime_args *ra,
              char **argv, bool *drop, const char *id, struct error **err)
{
  struct exec_job j = { 0 };
  struct decision d = { 0 };
  int ret = -1;

  if ((ret = exec_container (policy, runtime, ra, id, &j, err)) != 0)
    goto done;
  ret = -1;
  if (ra->process && exec_process_file (policy, ra, &j, err) < 0)
    goto done;
  if ((ret = exec_cap_flags (policy, ra, argv, &j, err)) != 0)
    goto done;
  ret = -1;
  enforce_decide (policy, &j.facts, ENFORCE_CAN_REWRITE, &d);
  if (d.outcome == ENFORCE_REWRITTEN)
    exec_drop_flags (policy, ra, argv, &d, drop);
  if (j.crun && j.cap_flags && d.outcome == ENFORCE_REWRITTEN
      && (j.cap_flags & d.final[CAPSET_BOUNDING]) == 0)
    {
      /* Every --cap dropped: crun falls back to its copy's sets, judged
         (and written) as without flags.  */
      memcpy (j.facts.sets, j.sets, sizeof j.sets);
      j.cap_flags = 0;
      decision_release (&d);
      memset (&d, 0, sizeof d);
      enforce_decide (policy, &j.facts, ENFORCE_CAN_REWRITE, &d);
    }
  /* crun with the --cap flags it keeps applies them, not its copy.  */
  if ((d.outcome == ENFORCE_REWRITTEN || (j.fill_caps && d.outcome != ENFORCE_REFUSED))
      && !(j.crun && j.cap_flags) && exec_write (policy, ra, &d, &j, err) < 0)
    goto done;
  ret = report_outcome (&(struct report_at){ policy, "runtime", "exec", id }, &d, &j.facts, err);
done:
  decision_release (&d);
  exec_job_release (&j);
  return ret;
}

static bool
is (const char *command, const char *name)
{
  return command && strcmp (command, name) == 0;
}

static bool
rewrites (const char *command)
{
  return is (command, "create") || is (command, "run") || is (command, "exec")
         || is (command, "restore");
}

/* The restore's child runtime, for the signal forwarder.  */
static volatile pid_t restore_child = -1;

static void
forward_signal (int sig)
{
  if (restore_child > 0)
    kill (restore_child, sig);
}

/* Judges the restored container's init live, as poststart does: its config
   gives the rule, the kernel its sets.  Returns 1 when judged (*REFUSED set
   and the process killed when it exceeds the policy), 0 when there is no
   running process to judge yet, -1 on error.  */
static int
judge_restored (const struct policy *policy, const char *runtime, const struct runtime_args *ra,
                const char *id, bool *refused, struct error **err)
{
  cleanup_free char *state_buf = NULL;
  cleanup_error struct error *ignored = NULL;
  struct oci_facts facts = { 0 };
  struct oci_state state;
  struct decision d = { 0 };
  json_auto_t *state_doc = NULL, *config = NULL;
  size_t state_len;
  bool gone = false;
  int ret = -1;

  state_buf = runtime_state (runtime, ra, id, &state_len, &ignored);
  if (state_buf == NULL)
    return 0; /* not there (yet) */
  {
    /* Not running yet, or no more (runc reports pid 0 then): nothing to
       judge, which the strict parser below would call bad input.  */
    json_auto_t *peek = json_loadb (state_buf, state_len, 0, NULL);
    const char *status = json_string_value (json_object_get (peek, "status"));
    if (status == NULL || strcmp (status, "running") != 0)
      return 0;
  }
  state_doc = oci_state_parse (state_buf, state_len, "runtime state", &state, err);
  if (state_doc == NULL || container_config (policy, &state, &config, &facts, err) < 0)
    return -1;
  if (proc_judge_live (policy, (pid_t)state.pid, ENFORCE_RESTORED,
                       "killed the restored process (SIGKILL)", &facts, &d, &gone, refused, err)
      < 0)
    goto done;
  if (!gone)
    report_outcome (&(struct report_at){ policy, "runtime", "restored", id }, &d, &facts, err);
  ret = 1;
done:
  decision_release (&d);
  oci_facts_release (&facts);
  return ret;
}

/* restore: CRIU gives the restored process the credentials saved in the
   checkpoint image, not those of config.json, so the config's rewrite is
   not enough.  The runtime runs as a child; once it reports the container
   running, its init is judged live and killed when it exceeds the policy,
   and the restore fails.  Signals the engine sends the wrapper go on to
   the runtime.  */
static int
restore_and_judge (const struct policy *policy, const char *runtime, const struct runtime_args *ra,
                   char **argv, const char *id, int *exit_status, struct error **err)
{
  static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  struct sigaction sa = { .sa_handler = forward_signal, .sa_flags = SA_RESTART };
  bool judged = false, refused = false, failed = false;
  int status = 0, r;
  size_t i;
  pid_t child;

  fflush (NULL);
  child = fork ();
  if (child < 0)
    return make_error (err, errno, "fork");
  if (child == 0)
    {
      execv (runtime, argv);
      fprintf (stderr, "capguard: exec `%s`: %s\n", runtime, strerror (errno));
      _exit (127);
    }
  restore_child = child;
  for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    sigaction (forwarded[i], &sa, NULL);

  for (;;)
    {
      pid_t w = waitpid (child, &status, WNOHANG);
      if (w < 0 && errno != EINTR)
        return make_error (err, errno, "wait for `%s`", runtime);
      if (!judged && !failed)
        {
          r = judge_restored (policy, runtime, ra, id, &refused, err);
          judged = r == 1;
          failed = r < 0;
        }
      if (w == child)
        break;
      usleep (20 * 1000);
    }
  restore_child = -1;
  if (failed)
    return -1;
  if (refused)
    return 1;
  *exit_status = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  return 0;
}

bool
mode_runtime_needs_policy (int argc, char **argv)
{
  cleanup_error struct error *err = NULL;
  struct runtime_args ra;
  bool needs;

  needs = runtime_args_parse (argc, argv, &ra, &err) < 0
          || rewrites (ra.command >= 0 ? argv[ra.command] : NULL);
  runtime_args_release (&ra);
  return needs;
}

void
mode_runtime_log_failure (int argc, char **argv, const char *msg)
{
  cleanup_error struct error *err = NULL;
  struct runtime_args ra;

  if (runtime_args_parse (argc, argv, &ra, &err) == 0)
    runtime_log (&ra, msg);
  runtime_args_release (&ra);
}

int
mode_runtime (const struct policy *policy, const char *explicit_runtime, int argc, char **argv,
              int *exit_status, struct error **err)
{
  struct runtime_args ra;
  cleanup_free char *runtime = NULL;
  cleanup_free bool *drop = NULL;
  cleanup_free char **next = NULL;
  const char *command, *id = NULL;
  int ret = 0, i, n = 0;

  if (runtime_args_parse (argc, argv, &ra, err) < 0)
    {
      runtime_args_release (&ra);
      return -2;
    }
  command = ra.command >= 0 ? argv[ra.command] : NULL;
  id = ra.id >= 0 ? argv[ra.id] : NULL;
  runtime = resolve_runtime (explicit_runtime, policy, argv[0], err);
  if (runtime == NULL)
    {
      ret = refuse (policy, &ra, command ? command : "runtime", id, -2, err);
      runtime_args_release (&ra);
      return ret;
    }
  drop = xmalloc0 (sizeof *drop * (argc + 1));

  if (rewrites (command) && policy == NULL)
    {
      make_error (err, 0, "internal error: no policy for `%s`", command);
      ret = -1;
    }
  else if (is (command, "create") || is (command, "run") || is (command, "restore"))
    ret = rewrite_bundle (policy, &ra, command, id, err);
  else if (command && strcmp (command, "exec") == 0)
    {
      if (id == NULL)
        {
          make_error (err, 0, "exec: no container id");
          ret = -1;
        }
      else
        ret = rewrite_exec (policy, runtime, &ra, argv, drop, id, err);
    }
  if (ret != 0)
    {
      ret = refuse (policy, &ra, command, id, ret, err);
      runtime_args_release (&ra);
      return ret;
    }

  next = xmalloc0 (sizeof *next * (argc + 1));
  next[n++] = runtime;
  for (i = 1; i < argc; i++)
    if (!drop[i])
      next[n++] = argv[i];
  next[n] = NULL;
  if (is (command, "restore"))
    {
      if (id == NULL)
        ret = make_error (err, 0, "restore: no container id");
      else
        ret = restore_and_judge (policy, runtime, &ra, next, id, exit_status, err);
      if (ret != 0)
        ret = refuse (policy, &ra, command, id, ret, err);
      runtime_args_release (&ra);
      return ret;
    }
  runtime_args_release (&ra);
  fflush (NULL);
  execv (runtime, next);
  return make_error (err, errno, "exec `%s`", runtime);
}

int
command_run_wrapper (struct command_ctx *ctx, const char *runtime, int argc, char **argv,
                     struct error **err)
{
  cleanup_error struct error *load_err = NULL;
  struct policy *policy = command_keep_policy (
      policy_load (ctx->policy_path, util_cap_last_cap (), POLICY_HOT, &load_err));
  int ret, exit_status = 0;

  if (policy == NULL && !mode_runtime_needs_policy (argc, argv))
    /* A broken policy must not keep the engine from stopping, deleting or
       inspecting containers: only creating and exec fail closed.  */
    log_warning ("%s; passing the command through to the runtime unchanged", error_msg (load_err));
  else if (policy == NULL)
    {
      report_failure (&(struct report_at){ NULL, "runtime", "runtime", NULL },
                      error_msg (load_err));
      mode_runtime_log_failure (argc, argv, error_msg (load_err));
      *err = steal_pointer (&load_err);
      return COMMAND_INVALID;
    }
  ret = mode_runtime (policy, runtime, argc, argv, &exit_status, err);
  if (ret == 0)
    ctx->exit_status = exit_status; /* main exits with the runtime's status */
  return ret;
}

int
command_runtime (struct command_ctx *ctx, struct error **err)
{
  const char *runtime = NULL;
  int i = 1;

  /* Not getopt: everything after `--` (or the first word that is not
     --runtime) is the runtime's command line, options included.  */
  if (i < ctx->argc && strncmp (ctx->argv[i], "--runtime=", 10) == 0)
    runtime = ctx->argv[i++] + 10;
  else if (i < ctx->argc && strcmp (ctx->argv[i], "--runtime") == 0)
    {
      if (i + 1 >= ctx->argc)
        return command_usage (err, "option `--runtime` needs an argument");
      runtime = ctx->argv[i + 1];
      i += 2;
    }
  if (i < ctx->argc && strcmp (ctx->argv[i], "--") == 0)
    i++;
  if (i >= ctx->argc)
    return command_usage (err,
                          "runtime needs the runtime's arguments: capguard runtime -- create ...");
  /* argv[i - 1] stands in for the runtime's argv[0].  */
  return command_run_wrapper (ctx, runtime, ctx->argc - i + 1, ctx->argv + i - 1, err);
}
