/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "engines.h"
#include "tomledit.h"
#include "util.h"

static const char *const engine_names[ENGINE_COUNT] = {
  [ENGINE_PODMAN] = "podman",
  [ENGINE_CRIO] = "crio",
  [ENGINE_CONTAINERD] = "containerd",
  [ENGINE_DOCKER] = "docker",
};

int
engines_by_name (const char *name)
{
  int e;

  for (e = 0; e < ENGINE_COUNT; e++)
    if (strcmp (name, engine_names[e]) == 0)
      return e;
  return -1;
}

const char *const engines_containers_engine[] = { "engine" };
const char *const engines_podman_default_hooks[]
    = { "/usr/share/containers/oci/hooks.d", ENGINES_OCI_HOOKS_DIR, NULL };
const char *const engines_crio_runtime[] = { "crio", "runtime" };
const char *const engines_crio_default_hooks[] = { "/usr/share/containers/oci/hooks.d", NULL };
const char *const engines_containerd_v2_runtimes[]
    = { "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes" };
const char *const engines_containerd_v3_runtimes[]
    = { "plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes" };

/* Reads PATH into *TEXT; *TEXT NULL when there is no such file.  */
int
engines_read (const char *path, char **text, struct error **err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  size_t len;

  *text = NULL;
  if (fd < 0 && errno == ENOENT)
    return 0;
  if (fd < 0)
    return make_error (err, errno, "open `%s`", path);
  return util_read_fd (fd, CAPGUARD_MAX_CONFIG, path, text, &len, err);
}

char *
engines_toml_string (const char *s)
{
  char *out = xstrdup ("\"");

  for (; *s; s++)
    util_append (&out, "", (*s == '"' || *s == '\\') ? "\\%c" : "%c", *s);
  util_append (&out, "", "\"");
  return out;
}

/* The texts of an engine's configuration files in the order it reads them
   (MAIN, then DROPINS' *.conf in name order, as CRI-O and containers.conf
   do), leaving out capguard's own drop-ins (any name holding "capguard"):
   an array of [path, text].  */
int
engines_files (const char *root, const char *main_file, const char *dropins, bool with_ours,
               json_t **files, struct error **err)
{
  cleanup_free char *dir = NULL;
  struct dirent **names = NULL;
  int n, i, ret = 0;

  *files = json_array ();
  xasprintf (&dir, "%s%s", root, dropins);
  n = scandir (dir, &names, NULL, alphasort);
  for (i = -1; i < (n < 0 ? 0 : n) && ret == 0; i++)
    {
      cleanup_free char *path = NULL, *text = NULL;

      if (i < 0)
        xasprintf (&path, "%s%s", root, main_file);
      else
        {
          const char *name = names[i]->d_name;
          size_t len = strlen (name);
          if (len < 6 || strcmp (name + len - 5, ".conf") != 0
              || (!with_ours && strstr (name, "capguard")))
            continue;
          xasprintf (&path, "%s/%s", dir, name);
        }
      ret = engines_read (path, &text, err);
      if (ret == 0 && text)
        json_array_append_new (*files, json_pack ("[s,s]", path, text));
    }
  for (i = 0; i < n; i++)
    free (names[i]);
  free (names);
  if (ret < 0)
    {
      json_decref (*files);
      *files = NULL;
    }
  return ret;
}

/* The last value of K in FILES, as a string array (ARRAY) or the raw TOML
   value; NULL when no file sets it.  A file capguard cannot read is an
   error: a list built without it could drop the node's settings.  */
int
engines_setting (json_t *files, const struct tomledit_key *k, bool array, json_t **value,
                 struct error **err)
{
  json_t *f;
  size_t i;

  *value = NULL;
  json_array_foreach (files, i, f)
    {
      const char *path = json_string_value (json_array_get (f, 0));
      const char *text = json_string_value (json_array_get (f, 1));
      json_t *v = NULL;
      char *raw = NULL;
      bool has_table;

      if (array ? tomledit_get_strings (text, k, &v, err) < 0
                : tomledit_get (text, k, &raw, &has_table, err) < 0)
        {
          json_decref (*value);
          *value = NULL;
          return error_wrap (err, "%s", path);
        }
      if (raw)
        {
          v = json_string (raw);
          free (raw);
        }
      if (v)
        {
          json_decref (*value);
          *value = v;
        }
    }
  return 0;
}

/* The hooks directories an engine reads: the last `hooks_dir` in TABLE of
   its configuration files, else DEFAULTS.  */
int
engines_hooks_dirs (const char *root, const char *main_file, const char *dropins,
                    const char *const *table, size_t depth, const char *const *defaults,
                    json_t **dirs, struct error **err)
{
  struct tomledit_key k = { .table = table, .depth = depth, .key = "hooks_dir" };
  json_auto_t *files = NULL;
  size_t i;

  if (engines_files (root, main_file, dropins, false, &files, err) < 0
      || engines_setting (files, &k, true, dirs, err) < 0)
    return -1;
  if (*dirs == NULL)
    {
      *dirs = json_array ();
      for (i = 0; defaults[i]; i++)
        json_array_append_new (*dirs, json_string (defaults[i]));
    }
  return 0;
}

/* A TOML string value as written ("x" or 'x', no escapes), unquoted; NULL
   for anything else.  */
char *
engines_unquote (const char *raw)
{
  size_t len = raw ? strlen (raw) : 0;

  if (len < 2 || (raw[0] != '"' && raw[0] != '\'') || raw[len - 1] != raw[0] || strchr (raw, '\\'))
    return NULL;
  return xstrndup (raw + 1, len - 2);
}

/* podman's runtime: the configured `engine.runtime`, else what podman picks
   when none is set (crun when it is installed, else runc).  */
char *
engines_podman_runtime (const char *root, json_t *files, struct error **err)
{
  static const char *const crun[]
      = { "/usr/bin/crun", "/usr/sbin/crun", "/usr/local/bin/crun", "/usr/local/sbin/crun", NULL };
  struct tomledit_key k = { .table = engines_containers_engine, .depth = 1, .key = "runtime" };
  json_auto_t *raw = NULL;
  size_t i;

  if (engines_setting (files, &k, false, &raw, err) < 0)
    return NULL;
  if (raw)
    {
      char *name = engines_unquote (json_string_value (raw));
      if (name == NULL)
        make_error (err, 0, "containers.conf: engine.runtime %s is not a plain string",
                    json_string_value (raw));
      return name;
    }
  for (i = 0; crun[i]; i++)
    {
      cleanup_free char *path = NULL;
      xasprintf (&path, "%s%s", root, crun[i]);
      if (access (path, X_OK) == 0)
        return xstrdup ("crun");
    }
  return xstrdup ("runc");
}

json_t *
engines_load_daemon_json (const char *full, const char *text, struct error **err)
{
  json_error_t jerr;
  json_t *doc = json_loads (text, JSON_REJECT_DUPLICATES, &jerr);

  if (!json_is_object (doc))
    {
      json_decref (doc);
      return make_error (err, 0, "%s:%d:%d: %s", full, jerr.line, jerr.column,
                         doc ? "expected an object" : jerr.text),
             NULL;
    }
  if (json_object_get (doc, "runtimes") && !json_is_object (json_object_get (doc, "runtimes")))
    {
      json_decref (doc);
      return make_error (err, 0, "%s: `runtimes` is not an object", full), NULL;
    }
  return doc;
}

int
engines_containerd_handlers (const char *text, const char *const *runtimes, json_t **handlers,
                             struct error **err)
{
  json_t *v;
  size_t i;

  if (tomledit_tables (text, runtimes, 4, handlers, err) < 0)
    return -1;
  json_array_foreach (*handlers, i, v)
    if (strcmp (json_string_value (v), "runc") == 0)
      return 0;
  json_array_insert_new (*handlers, 0, json_string ("runc"));
  return 0;
}

bool
engines_runs_runc (const char *raw_type)
{
  return strcmp (raw_type, "\"io.containerd.runc.v2\"") == 0
         || strcmp (raw_type, "\"io.containerd.runc.v1\"") == 0;
}
