/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "modes.h"
#include "util.h"

/* capguard install ENGINE: the registration files of one engine, written
   under a root directory (a node's /, or /host from a DaemonSet), each
   atomically and only when its content changes.  No file naming the
   precreate stage ever goes where CRI-O or NRI's hook-injector read.  */

#define PODMAN_HOOKS_DIR "/etc/containers/capguard/hooks.d"
#define OCI_HOOKS_DIR "/etc/containers/oci/hooks.d"

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
          return make_error (err, errno, "create `%s`: %s", copy, strerror (errno));
        *p = '/';
      }
  if (mkdir (copy, 0755) < 0 && errno != EEXIST)
    return make_error (err, errno, "create `%s`: %s", copy, strerror (errno));
  return 0;
}

/* Reads PATH into *TEXT; *TEXT NULL when there is no such file.  */
static int
read_existing (const char *path, char **text, struct error **err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  size_t len;

  *text = NULL;
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return make_error (err, errno, "open `%s`: %s", path, strerror (errno));
  return util_read_fd (fd, CAPGUARD_MAX_CONFIG, path, text, &len, err);
}

/* Writes CONTENT to ROOT+PATH unless it already holds exactly that.  */
static int
put_file (struct install *in, const char *path, const char *content, struct error **err)
{
  cleanup_free char *full = NULL, *old = NULL, *dir = NULL, *name = NULL, *tmp = NULL;
  cleanup_close int dirfd = -1, fd = -1;

  xasprintf (&full, "%s%s", in->root, path);
  if (read_existing (full, &old, err) < 0)
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
    return make_error (err, errno, "open `%s`: %s", dir, strerror (errno));
  if (old)
    {
      if (util_replace_file_at (dirfd, name, content, strlen (content), err) < 0)
        return error_wrap (err, "%s", full);
    }
  else
    {
      xasprintf (&tmp, ".%s.capguard-%d", name, (int)getpid ());
      fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
      if (fd < 0)
        return make_error (err, errno, "create `%s/%s`: %s", dir, tmp, strerror (errno));
      if (util_write_all (fd, content, strlen (content), err) < 0 || fsync (fd) < 0
          || renameat (dirfd, tmp, dirfd, name) < 0)
        {
          unlinkat (dirfd, tmp, 0);
          return *err ? error_wrap (err, "%s", full)
                      : make_error (err, errno, "write `%s`: %s", full, strerror (errno));
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
      return make_error (err, errno, "`%s`: %s", full, strerror (errno));
    }
  if (in->dry_run)
    fprintf (in->out, "would remove %s\n", full);
  else if (unlink (full) < 0)
    return make_error (err, errno, "remove `%s`: %s", full, strerror (errno));
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
    return make_error (err, errno, "link `%s`: %s", full, strerror (errno));
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

  if (place (in, OCI_HOOKS_DIR "/capguard-createRuntime.json", create, err) < 0)
    return -1;
  return place (in, OCI_HOOKS_DIR "/capguard-poststart.json", post, err);
}

static int
install_podman (struct install *in, struct error **err)
{
  cleanup_free char *pre = hook_json (in->binary, "precreate");
  static const char conf[]
      = "# capguard: podman's precreate hook.  hooks_dir replaces podman's list, so its\n"
        "# defaults are listed again; the precreate file has a directory of its own, which\n"
        "# CRI-O and NRI's hook-injector never read (they reject the precreate stage).\n"
        "[engine]\n"
        "hooks_dir = [\n"
        "  \"/usr/share/containers/oci/hooks.d\",\n"
        "  \"" OCI_HOOKS_DIR "\",\n"
        "  \"" PODMAN_HOOKS_DIR "\",\n"
        "]\n";

  if (place (in, PODMAN_HOOKS_DIR "/capguard-precreate.json", pre, err) < 0
      || place (in, "/etc/containers/containers.conf.d/capguard-hooks.conf", conf, err) < 0)
    return -1;
  fprintf (in->out, "podman reads this on its next command: nothing to restart\n");
  return 0;
}

static int
install_crio (const struct policy *policy, struct install *in, struct error **err)
{
  cleanup_free char *defaults = NULL, *runtime = NULL;
  char *text = NULL;
  size_t size = 0;
  FILE *mem = open_memstream (&text, &size);

  if (mem == NULL)
    return make_error (err, errno, "open_memstream: %s", strerror (errno));
  mode_crio_conf (policy, mem, err);
  fprintf (mem, "hooks_dir = [\n  \"/usr/share/containers/oci/hooks.d\",\n  \"" OCI_HOOKS_DIR
                "\",\n]\n");
  fclose (mem);
  defaults = text;
  xasprintf (
      &runtime,
      "# capguard: the runtime wrapper as CRI-O's default handler (clamps create and exec).\n"
      "[crio.runtime]\ndefault_runtime = \"capguard\"\n\n"
      "[crio.runtime.runtimes.capguard]\nruntime_path = \"%s\"\nruntime_type = \"oci\"\n"
      "runtime_root = \"/run/runc\"\n",
      in->wrapper);
  if (place_wrapper (in, err) < 0 || refusal_hooks (in, err) < 0
      || place (in, "/etc/crio/crio.conf.d/10-capguard.conf", defaults, err) < 0
      || place (in, "/etc/crio/crio.conf.d/20-capguard-runtime.conf", runtime, err) < 0)
    return -1;
  fprintf (in->out, "restart CRI-O: systemctl restart crio\n");
  return 0;
}

static int
install_containerd (struct install *in, struct error **err)
{
  cleanup_free char *conf = NULL, *main_conf = NULL, *existing = NULL;

  xasprintf (&conf,
             "# capguard: the CRI runc handler runs capguard's runtime wrapper (clamps create and\n"
             "# exec).  config.toml must import this directory: imports = [\"/etc/containerd/"
             "conf.d/*.toml\"]\n"
             "version = 2\n\n"
             "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
             "  runtime_type = \"io.containerd.runc.v2\"\n\n"
             "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
             "  BinaryName = \"%s\"\n",
             in->wrapper);
  if (place_wrapper (in, err) < 0 || refusal_hooks (in, err) < 0
      || place (in, "/etc/containerd/conf.d/capguard.toml", conf, err) < 0)
    return -1;
  xasprintf (&main_conf, "%s/etc/containerd/config.toml", in->root);
  if (read_existing (main_conf, &existing, err) < 0)
    return -1;
  if (!in->uninstall && (existing == NULL || strstr (existing, "conf.d/*.toml") == NULL))
    fprintf (in->out,
             "add to %s: imports = [\"/etc/containerd/conf.d/*.toml\"] (capguard does not edit "
             "it)\n",
             main_conf);
  fprintf (in->out, "restart containerd: systemctl restart containerd\n");
  return 0;
}

static int
install_docker (struct install *in, struct error **err)
{
  cleanup_free char *full = NULL, *old = NULL, *text = NULL;
  json_auto_t *doc = NULL;
  json_t *runtimes;

  xasprintf (&full, "%s/etc/docker/daemon.json", in->root);
  if (read_existing (full, &old, err) < 0)
    return -1;
  if (old)
    {
      json_error_t jerr;
      doc = json_loads (old, JSON_REJECT_DUPLICATES, &jerr);
      if (!json_is_object (doc))
        return make_error (err, 0, "%s:%d:%d: %s", full, jerr.line, jerr.column,
                           doc ? "expected an object" : jerr.text);
    }
  else if (in->uninstall)
    return 0;
  else
    doc = json_object ();
  runtimes = json_object_get (doc, "runtimes");
  if (runtimes && !json_is_object (runtimes))
    return make_error (err, 0, "%s: `runtimes` is not an object", full);
  if (in->uninstall)
    {
      const char *def = json_string_value (json_object_get (doc, "default-runtime"));
      if (runtimes)
        json_object_del (runtimes, "capguard");
      if (def && strcmp (def, "capguard") == 0)
        json_object_del (doc, "default-runtime");
    }
  else
    {
      if (runtimes == NULL)
        json_object_set_new (doc, "runtimes", runtimes = json_object ());
      json_object_set_new (runtimes, "capguard", json_pack ("{s:s}", "path", in->wrapper));
      json_object_set_new (doc, "default-runtime", json_string ("capguard"));
      if (place_wrapper (in, err) < 0)
        return -1;
    }
  text = json_dumps (doc, JSON_INDENT (2));
  {
    char *withnl;
    xasprintf (&withnl, "%s\n", text);
    free (text);
    text = withnl;
  }
  /* daemon.json holds the administrator's other settings: merged, never
     removed.  */
  if (put_file (in, "/etc/docker/daemon.json", text, err) < 0)
    return -1;
  fprintf (in->out, "restart dockerd: systemctl restart docker\n");
  return 0;
}

int
mode_install (const struct policy *policy, const char *engine, const char *root, const char *binary,
              bool dry_run, bool uninstall, FILE *out, struct error **err)
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
        return make_error (err, errno, "cannot find capguard's own path: %s", strerror (errno));
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
        return make_error (err, errno, "capguard is not at `%s` (%s): copy it there first", there,
                           strerror (errno));
    }
  bin_copy = xstrdup (binary);
  xasprintf (&in.wrapper, "%s/capguard-runtime", dirname (bin_copy));

  if (strcmp (engine, "podman") == 0)
    ret = install_podman (&in, err);
  else if (strcmp (engine, "crio") == 0)
    ret = install_crio (policy, &in, err);
  else if (strcmp (engine, "containerd") == 0)
    ret = install_containerd (&in, err);
  else if (strcmp (engine, "docker") == 0)
    ret = install_docker (&in, err);
  else
    ret = make_error (err, 0, "unknown engine `%s` (podman, crio, containerd or docker)", engine);
  free (in.wrapper);
  return ret;
}
