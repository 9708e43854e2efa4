/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "command.h"
#include "engines.h"
#include "modes.h"
#include "tomledit.h"
#include "util.h"

/* capguard install ENGINE: the registration files of one engine, written
   under a root directory (a node's /, or /host from a DaemonSet), each
   atomically and only when its content changes.  No file naming the
   precreate stage ever goes where CRI-O or NRI's hook-injector read.  */

struct install
{
  const char *root; /* "" for / */
  bool dry_run;
  bool uninstall;
  FILE *out;
  const char *binary; /* capguard on the target */
  char *wrapper;      /* capguard-runtime beside it */
};

static int
mkdirs (const char *path, struct error **err)
{
  cleanup_free char *copy = xstrdup (path);
  char *p;

  for (p = copy + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (copy, 0755) < 0 && errno != EEXIST)
          return make_error (err, errno, "create `%s`", copy);
        *p = '/';
      }
  if (mkdir (copy, 0755) < 0 && errno != EEXIST)
    return make_error (err, errno, "create `%s`", copy);
  return 0;
}

/* Writes CONTENT to ROOT+PATH unless it already holds exactly that.  */
static int
put_file (struct install *in, const char *path, const char *content, struct error **err)
{
  cleanup_free char *full = NULL, *old = NULL, *dir = NULL, *name = NULL, *tmp = NULL;
  cleanup_close int dirfd = -1, fd = -1;

  xasprintf (&full, "%s%s", in->root, path);
  if (engines_read (full, &old, err) < 0)
    return -1;
  if (old && strcmp (old, content) == 0)
    {
      fprintf (in->out, "unchanged  %s\n", full);
      return 0;
    }
  if (in->dry_run)
    {
      fprintf (in->out, "would write %s:\n%s", full, content);
      return 0;
    }
  dir = xstrdup (full);
  name = xstrdup (strrchr (full, '/') + 1);
  *strrchr (dir, '/') = '\0';
  if (mkdirs (dir, err) < 0)
    return -1;
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return make_error (err, errno, "open `%s`", dir);
  if (old)
    {
      if (util_replace_file_at (dirfd, name, content, strlen (content), UTIL_DURABLE, err) < 0)
        return error_wrap (err, "%s", full);
    }
  else
    {
      xasprintf (&tmp, ".%s.capguard-%d", name, (int)getpid ());
      fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (fd < 0)
        return make_error (err, errno, "create `%s/%s`", dir, tmp);
      if (util_write_all (fd, content, strlen (content), err) < 0 || fsync (fd) < 0
          || renameat (dirfd, tmp, dirfd, name) < 0)
        {
          unlinkat (dirfd, tmp, 0);
          return *err ? error_wrap (err, "%s", full) : make_error (err, errno, "write `%s`", full);
        }
    }
  fprintf (in->out, "wrote      %s\n", full);
  return 0;
}

static int
remove_file (struct install *in, const char *path, struct error **err)
{
  cleanup_free char *full = NULL;
  struct stat st;

  xasprintf (&full, "%s%s", in->root, path);
  if (lstat (full, &st) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return make_error (err, errno, "`%s`", full);
    }
  if (in->dry_run)
    fprintf (in->out, "would remove %s\n", full);
  else if (unlink (full) < 0)
    return make_error (err, errno, "remove `%s`", full);
  else
    fprintf (in->out, "removed    %s\n", full);
  return 0;
}

/* put_file, or remove_file when uninstalling.  */
static int
place (struct install *in, const char *path, const char *content, struct error **err)
{
  return in->uninstall ? remove_file (in, path, err) : put_file (in, path, content, err);
}

/* capguard-runtime beside the binary: a symbolic link to it.  */
static int
place_wrapper (struct install *in, struct error **err)
{
  cleanup_free char *full = NULL;
  char target[PATH_MAX];
  ssize_t n;

  /* The link belongs with the binary, which other engines may use: an
     uninstall leaves both.  */
  if (in->uninstall)
    return 0;
  xasprintf (&full, "%s%s", in->root, in->wrapper);
  n = readlink (full, target, sizeof target - 1);
  if (n > 0)
    {
      target[n] = '\0';
      if (strcmp (target, "capguard") == 0 || strcmp (target, in->binary) == 0)
        {
          fprintf (in->out, "unchanged  %s\n", full);
          return 0;
        }
    }
  if (in->dry_run)
    {
      fprintf (in->out, "would link %s -> capguard\n", full);
      return 0;
    }
  unlink (full);
  if (symlink ("capguard", full) < 0)
    return make_error (err, errno, "link `%s`", full);
  fprintf (in->out, "linked     %s -> capguard\n", full);
  return 0;
}

static char *
hook_json (const char *binary, const char *stage)
{
  bool pre = strcmp (stage, "precreate") == 0;
  json_auto_t *args = pre ? json_pack ("[s,s]", "capguard", "precreate")
                          : json_pack ("[s,s,s]", "capguard", "hook", stage);
  json_auto_t *doc
      = json_pack ("{s:s, s:{s:s, s:O}, s:{s:b}, s:[s]}", "version", "1.0.0", "hook", "path",
                   binary, "args", args, "when", "always", true, "stages", stage);
  cleanup_free char *text = json_dumps (doc, JSON_INDENT (2));
  char *out;

  xasprintf (&out, "%s\n", text);
  return out;
}

static int
refusal_hooks (struct install *in, struct error **err)
{
  cleanup_free char *create = hook_json (in->binary, "createRuntime");
  cleanup_free char *post = hook_json (in->binary, "poststart");

  if (place (in, ENGINES_OCI_HOOKS_DIR "/capguard-createRuntime.json", create, err) < 0)
    return -1;
  return place (in, ENGINES_OCI_HOOKS_DIR "/capguard-poststart.json", post, err);
}

/* containerd: runc's BinaryName in config.toml itself.  An imported file
   would not do: containerd 1.6 and 1.7 replace a whole plugin section with
   an imported one (services/server/config: "Replace entire sections
   instead of merging map's values"), so a conf.d file naming the CRI
   plugin silently resets the node's sandbox_image, CNI directories,
   SystemdCgroup and runc Root.  The edit touches one line (tomledit.h) and
   keeps a copy of the file as it was.  */
#define BACKUP_SUFFIX ".capguard-backup"

/* Writes CONTENT to ROOT+PATH only when there is nothing there yet: the
   first backup is the file as the node had it.  */
static int
put_backup (struct install *in, const char *path, const char *content, struct error **err)
{
  cleanup_free char *full = NULL, *old = NULL;

  xasprintf (&full, "%s%s", in->root, path);
  if (engines_read (full, &old, err) < 0)
    return -1;
  if (old)
    return 0;
  return put_file (in, path, content, err);
}

static void
toml_string_list (char **out, json_t *list)
{
  json_t *v;
  size_t i;

  json_array_foreach (list, i, v)
    {
      cleanup_free char *q = engines_toml_string (json_string_value (v));
      util_append (out, "", "  %s,\n", q);
    }
}

static bool
list_has (json_t *list, const char *s)
{
  json_t *v;
  size_t i;

  json_array_foreach (list, i, v)
    if (strcmp (json_string_value (v), s) == 0)
      return true;
  return false;
}

/* podman: the precreate hook lives in a directory only podman reads, which
   takes a containers.conf `hooks_dir`; that key replaces podman's list, so
   the drop-in lists the node's own directories first (as configured in
   containers.conf and its drop-ins, else podman's two defaults), and
   capguard's last.  */

static int
install_podman (const struct policy *policy, struct install *in, struct error **err)
{
  cleanup_free char *pre = hook_json (in->binary, "precreate"), *conf = NULL, *runtime = NULL;
  cleanup_free char *wrapper = NULL;
  json_auto_t *dirs = NULL, *files = NULL;
  bool wrap = false;

  if (!in->uninstall)
    {
      if (engines_hooks_dirs (in->root, "/etc/containers/containers.conf",
                              "/etc/containers/containers.conf.d", engines_containers_engine, 1,
                              engines_podman_default_hooks, &dirs, err)
              < 0
          || engines_files (in->root, ENGINES_CONTAINERS_CONF, ENGINES_CONTAINERS_CONF_D, false,
                            &files, err)
                 < 0)
        return -1;
      runtime = engines_podman_runtime (in->root, files, err);
      if (runtime == NULL)
        return -1;
      if (!list_has (dirs, ENGINES_PODMAN_HOOKS_DIR))
        json_array_append_new (dirs, json_string (ENGINES_PODMAN_HOOKS_DIR));
      conf = xstrdup (
          "# capguard: podman's precreate hook, in a directory of its own that CRI-O and NRI's\n"
          "# hook-injector never read (they reject the precreate stage).  hooks_dir replaces\n"
          "# podman's list: these are the node's directories when capguard was installed, then\n"
          "# capguard's.  Run `capguard install podman` again after changing hooks_dir.\n"
          "[engine]\nhooks_dir = [\n");
      toml_string_list (&conf, dirs);
      util_append (&conf, "", "]\n");
      /* No hook stage sees `podman exec` (its --privileged included):
         only the runtime does, so the wrapper becomes podman's runtime.
         It runs runc (or the policy's runtime), so it stands in only for a
         podman that runs runc, or for the runtime the policy names.  */
      wrap = strcmp (runtime, "runc") == 0 || (policy && policy->runtime);
      if (wrap)
        {
          wrapper = engines_toml_string (in->wrapper);
          util_append (
              &conf, "",
              "# The runtime wrapper as podman's runtime: it clamps create and exec, then\n"
              "# runs %s.\n"
              "runtime = \"capguard\"\n\n[engine.runtimes]\ncapguard = [%s]\n",
              policy && policy->runtime ? policy->runtime : "runc", wrapper);
        }
    }
  if ((wrap && place_wrapper (in, err) < 0)
      || place (in, ENGINES_PODMAN_HOOKS_DIR "/capguard-precreate.json", pre, err) < 0
      || place (in, "/etc/containers/containers.conf.d/capguard-hooks.conf", conf, err) < 0)
    return -1;
  if (!in->uninstall && !wrap)
    fprintf (in->out,
             "not covered: podman exec (podman runs `%s`, and the wrapper runs runc: set the "
             "policy's \"runtime\" to %s's path and run install again)\n",
             runtime, runtime);
  fprintf (in->out, "podman reads this on its next command: nothing to restart\n");
  return 0;
}

/* CRI-O: the createRuntime and poststart files go into the first directory
   of CRI-O's own hooks_dir (crio.conf and its drop-ins, else CRI-O's
   default), so that the node's list is never replaced.  */

static int
crio_hooks (struct install *in, struct error **err)
{
  cleanup_free char *create = hook_json (in->binary, "createRuntime");
  cleanup_free char *post = hook_json (in->binary, "poststart");
  json_auto_t *dirs = NULL;
  json_t *v;
  size_t i;

  if (engines_hooks_dirs (in->root, "/etc/crio/crio.conf", "/etc/crio/crio.conf.d",
                          engines_crio_runtime, 2, engines_crio_default_hooks, &dirs, err)
      < 0)
    return -1;
  if (in->uninstall)
    {
      /* Wherever an install put them: the node's list may have changed.  */
      json_array_append_new (dirs, json_string (ENGINES_OCI_HOOKS_DIR));
      json_array_append_new (dirs, json_string ("/usr/share/containers/oci/hooks.d"));
      json_array_foreach (dirs, i, v)
        {
          cleanup_free char *a = NULL, *b = NULL;
          xasprintf (&a, "%s/capguard-createRuntime.json", json_string_value (v));
          xasprintf (&b, "%s/capguard-poststart.json", json_string_value (v));
          if (remove_file (in, a, err) < 0 || remove_file (in, b, err) < 0)
            return -1;
        }
      return 0;
    }
  if (json_array_size (dirs) == 0)
    return make_error (err, 0, "CRI-O's hooks_dir is empty: nowhere to put the hooks");
  {
    const char *first = json_string_value (json_array_get (dirs, 0));
    cleanup_free char *a = NULL, *b = NULL;
    xasprintf (&a, "%s/capguard-createRuntime.json", first);
    xasprintf (&b, "%s/capguard-poststart.json", first);
    return put_file (in, a, create, err) < 0 ? -1 : put_file (in, b, post, err);
  }
}

static int
install_crio (const struct policy *policy, struct install *in, struct error **err)
{
  cleanup_free char *defaults = NULL, *runtime = NULL;
  char *text = NULL;
  size_t size = 0;
  FILE *mem = open_memstream (&text, &size);

  if (mem == NULL)
    return make_error (err, errno, "open_memstream");
  mode_crio_conf (policy, mem, err);
  fclose (mem);
  defaults = text;
  xasprintf (
      &runtime,
      "# capguard: the runtime wrapper as CRI-O's default handler (clamps create and exec).\n"
      "[crio.runtime]\ndefault_runtime = \"capguard\"\n\n"
      "[crio.runtime.runtimes.capguard]\nruntime_path = \"%s\"\nruntime_type = \"oci\"\n"
      "runtime_root = \"/run/runc\"\n",
      in->wrapper);
  if (place_wrapper (in, err) < 0 || crio_hooks (in, err) < 0
      || place (in, "/etc/crio/crio.conf.d/10-capguard.conf", defaults, err) < 0
      || place (in, "/etc/crio/crio.conf.d/20-capguard-runtime.conf", runtime, err) < 0)
    return -1;
  if (!in->uninstall)
    fprintf (in->out, "not covered: CRI-O's other handlers (`runc` and any in crio.conf): a "
                      "RuntimeClass naming one reaches it directly\n");
  fprintf (in->out, "restart CRI-O: systemctl restart crio\n");
  return 0;
}

static int
uninstall_containerd (struct install *in, const char *config, struct error **err)
{
  cleanup_free char *full = NULL, *text = NULL, *reverted = NULL, *backup = NULL;
  cleanup_free char *backup_path = NULL, *backup_text = NULL;
  const char *now;

  xasprintf (&full, "%s%s", in->root, config);
  xasprintf (&backup_path, "%s" BACKUP_SUFFIX, config);
  xasprintf (&backup, "%s%s", in->root, backup_path);
  if (engines_read (full, &text, err) < 0 || engines_read (backup, &backup_text, err) < 0)
    return -1;
  if (text && tomledit_revert (text, &reverted, err) < 0)
    return error_wrap (err, "%s", full);
  if (reverted && reverted[strspn (reverted, " \t\r\n")] == '\0')
    {
      /* install created the file: it goes.  */
      if (remove_file (in, config, err) < 0)
        return -1;
    }
  else if (reverted && put_file (in, config, reverted, err) < 0)
    return -1;
  now = reverted ? reverted : text;
  if (backup_text == NULL)
    return 0;
  if (now && strcmp (now, backup_text) == 0)
    return remove_file (in, backup_path, err);
  fprintf (in->out, "kept       %s: %s was edited since install\n", backup, full);
  return 0;
}

/* The [table] header line of the first DEPTH keys of TABLE.  */
static char *
toml_header (const char *const *table, size_t depth)
{
  char *out = xstrdup ("[");
  size_t i;

  for (i = 0; i < depth; i++)
    {
      bool bare
          = strspn (table[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
            == strlen (table[i]);
      util_append (&out, i ? "." : "", bare ? "%s" : "\"%s\"", table[i]);
    }
  util_append (&out, "", "]");
  return out;
}

/* Sets BinaryName = the wrapper in the options of CRI handler NAME (whose
   table path starts with the 4 keys of RUNTIMES), in *TEXT.  Only handlers
   that run runc can have it (their shim execs BinaryName with runc's
   argv); another type is reported as not covered.  */
static int
wrap_handler (const struct policy *policy, struct install *in, const char *full,
              const char *const *runtimes, const char *name, char **text, struct error **err)
{
  const char *table[6] = { runtimes[0], runtimes[1], runtimes[2], runtimes[3], name, "options" };
  struct tomledit_key k = { .table = table, .depth = 6, .key = "BinaryName" };
  struct tomledit_key type_key = { .table = table, .depth = 5, .key = "runtime_type" };
  cleanup_free char *value = engines_toml_string (in->wrapper), *old = NULL, *type = NULL;
  cleanup_free char *edited = NULL, *preamble = NULL;
  bool has_table = false, has_handler = false;

  k.value = value;
  if (tomledit_get (*text, &type_key, &type, &has_handler, err) < 0
      || tomledit_get (*text, &k, &old, &has_table, err) < 0)
    return error_wrap (err, "%s", full);
  /* containerd's own `runc` handler, when the file does not name it, is
     runc.v2.  */
  if (type == NULL && !has_handler && strcmp (name, "runc") == 0)
    type = xstrdup ("\"io.containerd.runc.v2\"");
  if (type == NULL || !engines_runs_runc (type))
    {
      fprintf (in->out, "not covered: CRI handler `%s` (runtime_type %s does not run runc)\n", name,
               type ? type : "(none)");
      return 0;
    }
  /* The wrapper runs the policy's `runtime`, else runc from PATH: it must
     not silently replace another BinaryName (a vendor's runc).  */
  if (old && strcmp (old, value) != 0)
    {
      cleanup_free char *wanted
          = policy && policy->runtime ? engines_toml_string (policy->runtime) : NULL;
      if (wanted == NULL || strcmp (wanted, old) != 0)
        return make_error (err, 0,
                           "%s: handler `%s`'s BinaryName is already %s; the wrapper would run "
                           "`runc` from PATH instead: set the policy's \"runtime\" to that path "
                           "and run install again",
                           full, name, old);
    }
  if (!has_table && !has_handler)
    {
      /* A handler table of our own replaces containerd's default entry
         whole, so it names the runtime type the default has.  */
      cleanup_free char *head = toml_header (table, 5);
      xasprintf (&preamble, "%s\n  runtime_type = \"io.containerd.runc.v2\"\n", head);
      k.preamble = preamble;
    }
  if (tomledit_set (*text, &k, &edited, err) < 0)
    return error_wrap (err, "%s", full);
  if (edited)
    {
      free (*text);
      *text = steal_pointer (&edited);
    }
  fprintf (in->out, "covered:   CRI handler `%s`\n", name);
  return 0;
}

static int
install_containerd (const struct policy *policy, struct install *in, const char *config,
                    struct error **err)
{
  cleanup_free char *full = NULL, *text = NULL, *version = NULL, *original = NULL;
  cleanup_free char *backup_path = NULL;
  json_auto_t *handlers = NULL;
  const char *const *runtimes;
  bool created = false;
  json_t *v;
  size_t i;

  if (config == NULL)
    config = ENGINES_CONTAINERD_CONFIG;
  if (config[0] != '/')
    return make_error (err, 0, "--config `%s` is not an absolute path", config);
  /* The conf.d file of earlier capguard versions reset the node's CRI
     section: it goes, both ways.  */
  if (remove_file (in, "/etc/containerd/conf.d/capguard.toml", err) < 0
      || refusal_hooks (in, err) < 0)
    return -1;
  if (in->uninstall)
    {
      if (uninstall_containerd (in, config, err) < 0)
        return -1;
      fprintf (in->out, "restart containerd: systemctl restart containerd\n");
      return 0;
    }

  xasprintf (&full, "%s%s", in->root, config);
  if (engines_read (full, &text, err) < 0)
    return -1;
  if (text == NULL || text[strspn (text, " \t\r\n")] == '\0')
    {
      free (text);
      text = xstrdup ("version = 2  " TOMLEDIT_MARK "\n");
      created = true;
    }
  version = tomledit_top_value (text, "version", err);
  if (version == NULL && *err)
    return error_wrap (err, "%s", full);
  if (version && strcmp (version, "2") == 0)
    runtimes = engines_containerd_v2_runtimes;
  else if (version && strcmp (version, "3") == 0)
    runtimes = engines_containerd_v3_runtimes;
  else
    return make_error (err, 0,
                       "%s: config version %s: capguard edits versions 2 and 3 (containerd 1.6 "
                       "and later); convert it first",
                       full, version ? version : "1 (no `version` key)");

  if (engines_containerd_handlers (text, runtimes, &handlers, err) < 0)
    return error_wrap (err, "%s", full);
  original = xstrdup (text);
  json_array_foreach (handlers, i, v)
    if (wrap_handler (policy, in, full, runtimes, json_string_value (v), &text, err) < 0)
      return -1;
  if (place_wrapper (in, err) < 0)
    return -1;
  if (strcmp (original, text) == 0)
    fprintf (in->out, "unchanged  %s\n", full);
  else
    {
      xasprintf (&backup_path, "%s" BACKUP_SUFFIX, config);
      if ((!created && put_backup (in, backup_path, original, err) < 0)
          || put_file (in, config, text, err) < 0)
        return -1;
    }
  fprintf (in->out,
           "not covered: `ctr run` without --runc-binary (containerd's own runc, outside CRI)\n"
           "check after the restart: containerd config dump | grep BinaryName\n"
           "restart containerd: systemctl restart containerd\n");
  return 0;
}

/* Docker: the wrapper as a runtime of daemon.json and its default-runtime.
   It can stand only in front of runc (the wrapper execs runc), so a node
   whose default is another runtime is refused rather than changed.  The
   file is kept as it was, so uninstall gives it back byte for byte.  */

static char *
daemon_json_text (json_t *doc)
{
  cleanup_free char *text = json_dumps (doc, JSON_INDENT (2));
  char *out;

  xasprintf (&out, "%s\n", text);
  return out;
}

static int
uninstall_docker (struct install *in, const char *config, json_t *doc, const char *old,
                  struct error **err)
{
  cleanup_free char *text = NULL, *backup_path = NULL, *backup = NULL, *backup_text = NULL;
  json_auto_t *before = NULL;
  json_t *runtimes = json_object_get (doc, "runtimes");
  const char *def = json_string_value (json_object_get (doc, "default-runtime"));

  xasprintf (&backup_path, "%s" BACKUP_SUFFIX, config);
  xasprintf (&backup, "%s%s", in->root, backup_path);
  if (engines_read (backup, &backup_text, err) < 0)
    return -1;
  if (backup_text && (before = engines_load_daemon_json (backup, backup_text, err)) == NULL)
    return -1;
  if (runtimes)
    json_object_del (runtimes, "capguard");
  if (runtimes && json_object_size (runtimes) == 0
      && (before == NULL || json_object_get (before, "runtimes") == NULL))
    json_object_del (doc, "runtimes");
  if (def && strcmp (def, "capguard") == 0)
    {
      json_t *prev = before ? json_object_get (before, "default-runtime") : NULL;
      if (prev)
        json_object_set (doc, "default-runtime", prev);
      else
        json_object_del (doc, "default-runtime");
    }
  /* Nothing else changed since install: the administrator's own text.  */
  text = before && json_equal (doc, before) ? xstrdup (backup_text) : daemon_json_text (doc);
  if (strcmp (text, old) != 0 && put_file (in, config, text, err) < 0)
    return -1;
  if (backup_text && remove_file (in, backup_path, err) < 0)
    return -1;
  fprintf (in->out, "restart dockerd: systemctl restart docker\n");
  return 0;
}

static int
install_docker (struct install *in, const char *config, struct error **err)
{
  cleanup_free char *full = NULL, *old = NULL, *text = NULL, *backup_path = NULL;
  json_auto_t *doc = NULL;
  json_t *runtimes;
  const char *def;

  if (config == NULL)
    config = ENGINES_DOCKER_CONFIG;
  if (config[0] != '/')
    return make_error (err, 0, "--config `%s` is not an absolute path", config);
  xasprintf (&full, "%s%s", in->root, config);
  if (engines_read (full, &old, err) < 0)
    return -1;
  if (old == NULL && in->uninstall)
    return 0;
  doc = old ? engines_load_daemon_json (full, old, err) : json_object ();
  if (doc == NULL)
    return -1;
  if (in->uninstall)
    return uninstall_docker (in, config, doc, old, err);

  runtimes = json_object_get (doc, "runtimes");
  def = json_string_value (json_object_get (doc, "default-runtime"));
  if (def && strcmp (def, "runc") != 0 && strcmp (def, "capguard") != 0)
    return make_error (err, 0,
                       "%s: default-runtime is `%s`: the wrapper execs runc and would replace "
                       "it; nothing was changed (make a runc the default first, or leave "
                       "Docker uncovered)",
                       full, def);
  if (runtimes == NULL)
    json_object_set_new (doc, "runtimes", runtimes = json_object ());
  json_object_set_new (runtimes, "capguard", json_pack ("{s:s}", "path", in->wrapper));
  json_object_set_new (doc, "default-runtime", json_string ("capguard"));
  text = daemon_json_text (doc);
  xasprintf (&backup_path, "%s" BACKUP_SUFFIX, config);
  if (place_wrapper (in, err) < 0
      || (old && strcmp (old, text) != 0 && put_backup (in, backup_path, old, err) < 0))
    return -1;
  /* daemon.json holds the administrator's other settings: merged, never
     removed.  */
  if (put_file (in, config, text, err) < 0)
    return -1;
  {
    const char *name;
    json_t *v;
    json_object_foreach (runtimes, name, v)
      if (strcmp (name, "capguard") != 0)
        fprintf (in->out, "not covered: `docker run --runtime %s`\n", name);
  }
  fprintf (in->out, "not covered: `docker run --runtime runc` (Docker reserves that name)\n"
                    "restart dockerd: systemctl restart docker\n");
  return 0;
}

/* Writes (or with UNINSTALL removes) ENGINE's registration files under
   ROOT (NULL: /), for capguard at BINARY (NULL: this binary), printing
   what it wrote and what to restart; CONFIG (NULL: the engine's default)
   is containerd's config.toml or Docker's daemon.json under ROOT; DRY_RUN
   writes nothing.  */
static int
install (const struct policy *policy, enum engine engine, const char *root, const char *binary,
         const char *config, bool dry_run, bool uninstall, FILE *out, struct error **err)
{
  cleanup_free char *self = NULL, *root_copy = NULL, *bin_copy = NULL;
  struct install in = { .dry_run = dry_run, .uninstall = uninstall, .out = out };
  int ret;

  root_copy = xstrdup (root ? root : "/");
  while (strlen (root_copy) > 0 && root_copy[strlen (root_copy) - 1] == '/')
    root_copy[strlen (root_copy) - 1] = '\0';
  if (root && root[0] != '/')
    return make_error (err, 0, "--root `%s` is not an absolute path", root);
  in.root = root_copy;
  if (binary == NULL)
    {
      self = realpath ("/proc/self/exe", NULL);
      if (self == NULL)
        return make_error (err, errno, "cannot find capguard's own path");
      binary = self;
    }
  if (binary[0] != '/')
    return make_error (err, 0, "--binary `%s` is not an absolute path", binary);
  in.binary = binary;
  if (!uninstall)
    {
      cleanup_free char *there = NULL;
      xasprintf (&there, "%s%s", in.root, binary);
      /* The files name the binary: it must be where they say.  */
      if (access (there, X_OK) < 0)
        return make_error (err, errno, "capguard is not at `%s` (copy it there first)", there);
    }
  bin_copy = xstrdup (binary);
  xasprintf (&in.wrapper, "%s/capguard-runtime", dirname (bin_copy));

  switch (engine)
    {
    case ENGINE_PODMAN:
      ret = install_podman (policy, &in, err);
      break;
    case ENGINE_CRIO:
      ret = install_crio (policy, &in, err);
      break;
    case ENGINE_CONTAINERD:
      ret = install_containerd (policy, &in, config, err);
      break;
    case ENGINE_DOCKER:
    default:
      ret = install_docker (&in, config, err);
      break;
    }
  free (in.wrapper);
  return ret;
}

int
command_install (struct command_ctx *ctx, struct error **err)
{
  static const struct option options[] = {
    { "root", required_argument, NULL, 'r' },
    { "binary", required_argument, NULL, 'b' },
    { "config", required_argument, NULL, 'c' },
    { "dry-run", no_argument, NULL, 'n' },
    { NULL, 0, NULL, 0 },
  };
  const char *root = NULL, *binary = NULL, *config = NULL;
  const struct policy *policy;
  bool dry_run = false;
  int e;
  int c;

  while ((c = command_getopt (ctx, options, err)) != -1)
    switch (c)
      {
      case 'r':
        root = optarg;
        break;
      case 'b':
        binary = optarg;
        break;
      case 'c':
        config = optarg;
        break;
      case 'n':
        dry_run = true;
        break;
      default:
        return COMMAND_USAGE;
      }
  if (ctx->argc - optind != 1)
    return command_usage (err, "%s takes one engine: " ENGINES_NAMES_TEXT, ctx->name);
  if ((e = engines_by_name (ctx->argv[optind])) < 0)
    return command_usage (err, "unknown engine `%s` (" ENGINES_NAMES_TEXT ")", ctx->argv[optind]);
  if ((policy = command_policy (ctx, NULL, err)) == NULL)
    return COMMAND_INVALID;
  return install (policy, e, root, binary, config, dry_run, strcmp (ctx->name, "uninstall") == 0,
                  stdout, err);
}
