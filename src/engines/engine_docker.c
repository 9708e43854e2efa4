/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "engine.h"
#include "jsonedit.h"
#include "jsontext.h"
#include "util.h"

/* Docker: daemon.json's `runtimes` and `default-runtime` (moby 20.10 and
   current).  A runtime with a `path` is run by containerd's runc shim with
   BinaryName = that path, as written (a bare name is looked up on
   containerd's PATH), for create, exec and restore alike; capguard makes
   each such path the wrapper for it, in place, so `docker run --runtime
   NAME` and the default both pass through it and the runtime's own
   runtimeArgs still apply.  Docker's own `runc` is reserved (no entry may
   redefine it): when it is the default, a `capguard` runtime standing in
   front of runc becomes the default.  A runtime given as `runtimeType` (a
   shim) runs no OCI runtime with runc's command line.  The names Docker
   keeps for itself (runc, io.containerd.runc.v2, and in 20.10
   io.containerd.runtime.v1.linux) stay open to whoever may run docker.  */

#define CONFIG "/etc/docker/daemon.json"
#define SOCKET "/run/docker.sock"
#define OURS "capguard"

static const char *const top_fields[] = { "runtimes", "default-runtime", "hosts", NULL };
static const char *const runtime_fields[]
    = { "path", "runtimeArgs", "runtimeType", "options", NULL };

struct dock
{
  const char *text;
  json_t *doc;
  char *default_name; /* as the file says, "runc" when unset */
  char *backup;       /* daemon.json as it was before install, if kept */
};

static void
dock_free (void *p)
{
  struct dock *d = p;

  if (d == NULL)
    return;
  json_decref (d->doc);
  free (d->default_name);
  free (d->backup);
  free (d);
}

static const char *
config_path (const struct engine_node *node)
{
  return node->config ? node->config : CONFIG;
}

static bool
found (const struct engine_node *node, struct files *f)
{
  cleanup_free char *bin = engine_find_binary (f, "dockerd");

  return bin != NULL || files_exists (f, config_path (node));
}

static char *
fix (const struct engine_node *node)
{
  char *out;

  if (node->config && strcmp (node->config, CONFIG) != 0)
    xasprintf (&out, "capguard install docker --config %s", node->config);
  else
    out = xstrdup ("capguard install docker");
  return out;
}

/* daemon.json, checked as dockerd will read it: an object, `runtimes` an
   object of objects, no key Go would take for one of those it reads.  */
static json_t *
load (const char *full, const char *text, struct error **err)
{
  json_auto_t *doc = jsontext_load_object (text, strlen (text), full, err);
  json_t *runtimes, *v;
  const char *name;

  if (doc == NULL)
    return NULL;
  if (jsontext_check_case_variants (doc, top_fields, "", "dockerd", err) < 0)
    return error_wrap (err, "%s", full), NULL;
  runtimes = json_object_get (doc, "runtimes");
  if (runtimes && !json_is_object (runtimes))
    return make_error (err, 0, "%s: `runtimes` is not an object", full), NULL;
  if (json_object_get (doc, "default-runtime")
      && !json_is_string (json_object_get (doc, "default-runtime")))
    return make_error (err, 0, "%s: `default-runtime` is not a string", full), NULL;
  json_object_foreach (runtimes, name, v)
    {
      cleanup_free char *where = NULL;
      xasprintf (&where, "runtimes.%s: ", name);
      if (!json_is_object (v))
        return make_error (err, 0, "%s: runtime `%s` is not an object", full, name), NULL;
      if (jsontext_check_case_variants (v, runtime_fields, where, "dockerd", err) < 0)
        return error_wrap (err, "%s", full), NULL;
      if (json_object_get (v, "path") && !json_is_string (json_object_get (v, "path")))
        return make_error (err, 0, "%s: runtime `%s`: `path` is not a string", full, name), NULL;
    }
  return json_incref (doc);
}

/* A runtime of daemon.json into the model.  */
static void
add_runtime (struct engine_model *m, const char *file, const char *name, json_t *rt,
             bool is_default)
{
  cleanup_free char *label = NULL;
  const char *path = json_string_value (json_object_get (rt, "path"));
  struct engine_way *w;

  xasprintf (&label, "Docker runtime `%s`", name);
  w = engine_model_add (m, name, label);
  w->is_default = is_default;
  w->file = xstrdup (file);
  if (path && path[0])
    w->runs = xstrdup (path);
  else if (json_object_get (rt, "runtimeType"))
    xasprintf (&w->why,
               "runtimeType `%s` is a shim of its own, not an OCI runtime run with runc's "
               "command line",
               json_string_value (json_object_get (rt, "runtimeType"))
                   ? json_string_value (json_object_get (rt, "runtimeType"))
                   : "?");
  else
    {
      w->broken = true;
      w->why = xstrdup ("neither path nor runtimeType: dockerd refuses it");
    }
}

static int
model (const struct engine_node *node, struct files *f, struct engine_model *m, struct error **err)
{
  struct dock *d = xmalloc0 (sizeof *d);
  const char *file = config_path (node), *name, *def;
  cleanup_free char *full = NULL;
  json_t *runtimes, *rt, *host;
  size_t i;

  m->priv = d;
  m->priv_free = dock_free;
  if (file[0] != '/')
    return make_error (err, 0, "--config `%s` is not an absolute path", file);
  xasprintf (&full, "%s%s", files_root (f), file);
  xasprintf (&m->source, "%s", full);
  m->files = json_pack ("[s]", file);
  if (files_read (f, file, &d->text, err) < 0)
    return -1;
  d->doc = d->text ? load (full, d->text, err) : json_object ();
  if (d->doc == NULL)
    return -1;
  {
    cleanup_free char *bpath = NULL;
    const char *b;
    xasprintf (&bpath, "%s" FILES_BACKUP_SUFFIX, file);
    if (files_read (f, bpath, &b, err) < 0)
      return -1;
    d->backup = b ? xstrdup (b) : NULL;
  }
  runtimes = json_object_get (d->doc, "runtimes");
  def = json_string_value (json_object_get (d->doc, "default-runtime"));
  d->default_name = xstrdup (def && def[0] ? def : "runc");
  if (strcmp (d->default_name, "runc") == 0
      || strcmp (d->default_name, "io.containerd.runc.v2") == 0)
    {
      struct engine_way *w
          = engine_model_add (m, d->default_name, "Docker runtime `runc` (built in)");
      w->is_default = true;
      w->runs = xstrdup ("runc");
    }
  else if (json_object_get (runtimes, d->default_name) == NULL)
    {
      cleanup_free char *label = NULL;
      struct engine_way *w;
      xasprintf (&label, "Docker runtime `%s`", d->default_name);
      w = engine_model_add (m, d->default_name, label);
      w->is_default = w->broken = true;
      w->why = xstrdup ("not in daemon.json's runtimes: dockerd refuses to start");
    }
  json_object_foreach (runtimes, name, rt)
    add_runtime (m, file, name, rt, strcmp (name, d->default_name) == 0);
  engine_model_extra (m, "residual", "`docker run --runtime runc`",
                      "Docker reserves the name runc: capguard cannot take it; only who may run "
                      "docker can choose it",
                      NULL);
  engine_model_extra (m, "residual", "`docker run --runtime io.containerd.runc.v2`",
                      "a name Docker keeps for its own runc: only who may run docker can choose it",
                      NULL);
  /* daemon.json's first unix:// host, else Docker's default socket.  */
  m->socket = xstrdup (SOCKET);
  json_array_foreach (json_object_get (d->doc, "hosts"), i, host)
    if (json_is_string (host) && strncmp (json_string_value (host), "unix:///", 8) == 0)
      {
        free (m->socket);
        m->socket = xstrdup (json_string_value (host) + 7);
        break;
      }
  return 0;
}

static int
set (char **text, const char *name, const char *const *path, size_t depth, const char *key,
     json_t *value, struct error **err)
{
  cleanup_free char *out = NULL;

  if (jsonedit_set (*text, name, path, depth, key, value, &out, err) < 0)
    return -1;
  if (out)
    {
      free (*text);
      *text = steal_pointer (&out);
    }
  return 0;
}

static int
install (const struct engine_node *node, const struct engine_model *m, struct files *f,
         struct error **err)
{
  const struct dock *d = m->priv;
  const char *file = config_path (node);
  cleanup_free char *text = xstrdup (d->text ? d->text : "{}\n"), *full = NULL;
  size_t i;

  xasprintf (&full, "%s%s", files_root (f), file);
  for (i = 0; i < m->n_ways; i++)
    {
      const struct engine_way *w = &m->ways[i];
      cleanup_free char *target = NULL, *wrapper = NULL;
      json_auto_t *value = NULL;

      if (w->runs == NULL || (target = engine_wrapper_target (w->runs)) != NULL)
        continue;
      wrapper = engine_wrapper_for (node->wrapper_dir, w->runs);
      if (wrapper == NULL)
        return make_error (err, 0,
                           "%s: %s runs `%s`, a relative path: give its absolute path, "
                           "then run install again",
                           full, w->label, w->runs);
      engine_plan_wrapper (node, f, wrapper);
      value = json_string (wrapper);
      if (strcmp (w->name, "runc") == 0 || strcmp (w->name, "io.containerd.runc.v2") == 0)
        {
          /* Docker's own runc cannot be redefined: capguard's runtime in
             front of runc becomes the default.  */
          const char *const runtimes[] = { "runtimes", OURS };
          json_auto_t *def = json_string (OURS);
          if (set (&text, full, runtimes, 2, "path", value, err) < 0
              || set (&text, full, NULL, 0, "default-runtime", def, err) < 0)
            return -1;
        }
      else
        {
          const char *const rt[] = { "runtimes", w->name };
          if (set (&text, full, rt, 2, "path", value, err) < 0)
            return -1;
        }
    }
  if (d->text == NULL)
    {
      /* A file of capguard's own: written out whole.  */
      cleanup_error struct error *ignored = NULL;
      json_auto_t *doc = jsontext_load_object (text, strlen (text), full, &ignored);
      cleanup_free char *pretty = doc ? json_dumps (doc, JSON_INDENT (2)) : NULL;
      free (text);
      xasprintf (&text, "%s\n", pretty ? pretty : "{}");
    }
  if (d->text == NULL || strcmp (d->text, text) != 0)
    files_put (f, file, text, d->text != NULL);
  return 0;
}

static int
uninstall (const struct engine_node *node, const struct engine_model *m, struct files *f,
           struct error **err)
{
  const struct dock *d = m->priv;
  const char *file = config_path (node);
  cleanup_free char *text = NULL, *full = NULL, *bpath = NULL;
  json_auto_t *before = NULL;
  json_t *runtimes, *rt;
  const char *name;

  if (d->text == NULL)
    return 0;
  text = xstrdup (d->text);
  xasprintf (&full, "%s%s", files_root (f), file);
  xasprintf (&bpath, "%s" FILES_BACKUP_SUFFIX, file);
  if (d->backup)
    {
      cleanup_error struct error *ignored = NULL;
      before = jsontext_load_object (d->backup, strlen (d->backup), bpath, &ignored);
    }
  runtimes = json_object_get (d->doc, "runtimes");
  json_object_foreach (runtimes, name, rt)
    {
      const char *path = json_string_value (json_object_get (rt, "path"));
      cleanup_free char *target = path ? engine_wrapper_target (path) : NULL;
      const char *const where[] = { "runtimes", name };
      json_auto_t *value = NULL;

      if (target == NULL || strcmp (name, OURS) == 0)
        continue;
      value = json_string (target);
      if (set (&text, full, where, 2, "path", value, err) < 0)
        return -1;
    }
  if (json_object_get (runtimes, OURS))
    {
      const char *const r[] = { "runtimes" };
      cleanup_free char *out = NULL;
      if (jsonedit_remove (text, full, r, 1, OURS, &out, err) < 0)
        return -1;
      if (out)
        free (text), text = steal_pointer (&out);
      if (json_object_size (runtimes) == 1
          && (before == NULL || json_object_get (before, "runtimes") == NULL))
        {
          if (jsonedit_remove (text, full, NULL, 0, "runtimes", &out, err) < 0)
            return -1;
          if (out)
            free (text), text = steal_pointer (&out);
        }
    }
  if (strcmp (d->default_name, OURS) == 0)
    {
      json_t *prev = before ? json_object_get (before, "default-runtime") : NULL;
      cleanup_free char *out = NULL;
      if (prev && json_is_string (prev)
          && set (&text, full, NULL, 0, "default-runtime", prev, err) < 0)
        return -1;
      if ((prev == NULL || !json_is_string (prev))
          && jsonedit_remove (text, full, NULL, 0, "default-runtime", &out, err) < 0)
        return -1;
      if (out)
        free (text), text = steal_pointer (&out);
    }
  /* Nothing else changed since install: the administrator's own bytes.  */
  if (d->backup)
    {
      cleanup_error struct error *ignored = NULL;
      json_auto_t *now = jsontext_load_object (text, strlen (text), full, &ignored);
      if (now && before && json_equal (now, before))
        {
          free (text);
          text = xstrdup (d->backup);
        }
      files_remove (f, bpath);
    }
  if (strcmp (text, d->text) != 0)
    files_put (f, file, text, false);
  return 0;
}

const struct engine_ops engine_docker = {
  .name = "docker",
  .takes_config = true,
  .found = found,
  .model = model,
  .install = install,
  .uninstall = uninstall,
  .restart = "systemctl restart docker",
  .fix = fix,
};
