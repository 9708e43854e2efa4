/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine.h"
#include "util.h"

/* status, for any engine of the table: each way of the engine's model is
   covered when it runs a wrapper that is a capguard that runs, a gap that
   `capguard install ENGINE` closes when it runs an OCI runtime directly,
   and a gap no registration closes when it runs something else (a shim of
   its own).  */

/* How the fix of a gap that install cannot close begins: the node has a
   way in that no registration stands in, which the operator removes.  */
#define NO_REGISTRATION "no registration closes it: "

/* Whether PATH (on the node) is a capguard that runs: NULL, or why not.
   The wrappers are links to capguard, so the file they name is run as
   `capguard version`.  CHECKED caches the answers.  */
static const char *
capguard_at (const char *root, const char *path, json_t *checked)
{
  cleanup_free char *full = NULL, *real = NULL, *out = NULL;
  json_t *known = json_object_get (checked, path);
  const char *why = NULL;

  if (known)
    return json_string_length (known) ? json_string_value (known) : NULL;
  xasprintf (&full, "%s%s", root, path);
  real = realpath (full, NULL);
  if (real == NULL)
    why = "missing";
  else
    {
      cleanup_error struct error *ignored = NULL;
      char *argv[] = { real, (char *)"version", NULL };
      size_t len;
      out = util_run_capture (argv, 4096, true, &len, &ignored);
      if (out == NULL || strncmp (out, "capguard ", 9) != 0)
        why = "not a capguard that runs";
    }
  json_object_set_new (checked, path, json_string (why ? why : ""));
  return json_string_length (json_object_get (checked, path))
             ? json_string_value (json_object_get (checked, path))
             : NULL;
}

static void
add_path (json_t *paths, const char *state, const char *path, const char *detail, const char *fix)
{
  bool gap = strcmp (state, "gap") == 0;
  json_t *p = json_pack ("{s:s, s:s, s:s, s:s?}", "path", path, "state", state, "detail", detail,
                         "fix", gap ? fix : NULL);

  if (gap)
    json_object_set_new (
        p, "closable",
        json_boolean (!(fix && strncmp (fix, NO_REGISTRATION, strlen (NO_REGISTRATION)) == 0)));
  json_array_append_new (paths, p);
}

/* Whether the daemon listening on SOCKET (on the node) started before
   CONFIG (a full path) last changed: a daemon creates its socket when it
   starts, so a configuration written after that is not the one in force
   until it restarts.  False when either is missing (a daemon that is not
   running reads the file when it starts).  */
static bool
changed_since_start (const char *root, const char *config, const char *socket)
{
  cleanup_free char *full = NULL;
  struct stat c, k;

  /* /var/run is a link to /run on every current distribution, and an
     absolute link would leave the root given by --root.  */
  if (strncmp (socket, "/var/run/", 9) == 0)
    socket += 4;
  xasprintf (&full, "%s%s", root, socket);
  if (stat (config, &c) < 0 || lstat (full, &k) < 0 || !S_ISSOCK (k.st_mode))
    return false;
  return c.st_mtim.tv_sec > k.st_mtim.tv_sec
         || (c.st_mtim.tv_sec == k.st_mtim.tv_sec && c.st_mtim.tv_nsec > k.st_mtim.tv_nsec);
}

static void
restart_gap (const struct engine_ops *e, const char *root, const struct engine_model *m,
             json_t *paths)
{
  json_t *v;
  size_t i;

  if (m->socket == NULL || e->restart == NULL)
    return;
  json_array_foreach (m->files, i, v)
    {
      cleanup_free char *full = NULL, *detail = NULL;
      xasprintf (&full, "%s%s", root, json_string_value (v));
      if (!changed_since_start (root, full, m->socket))
        continue;
      xasprintf (&detail,
                 "%s changed after the running %s started (its socket %s is older): what the file "
                 "says is not in force until %s restarts",
                 json_string_value (v), e->name, m->socket, e->name);
      add_path (paths, "gap", "the configuration in force", detail, e->restart);
      return;
    }
}

int
engine_status (const struct engine_ops *e, const struct engine_node *node, json_t *paths,
               char **source, struct error **err)
{
  cleanup_files struct files *f = files_new (node->root);
  cleanup_free char *fix = e->fix (node);
  json_auto_t *checked = json_object ();
  struct engine_model m = { 0 };
  json_t *x;
  size_t i;

  if (e->model (node, f, &m, err) < 0)
    {
      engine_model_release (&m);
      return -1;
    }
  *source = xstrdup (m.source ? m.source : e->name);
  for (i = 0; i < m.n_ways; i++)
    {
      const struct engine_way *w = &m.ways[i];
      cleanup_free char *path = NULL, *detail = NULL, *target = NULL, *nofix = NULL;
      const char *why;

      xasprintf (&path, "%s%s (create, exec, restore)", w->label,
                 w->is_default ? ", the default" : "");
      if (w->broken)
        {
          add_path (paths, "inert", path, w->why, NULL);
          continue;
        }
      if (w->runs == NULL)
        {
          xasprintf (&nofix, NO_REGISTRATION "keep workloads off it, or remove it from %s",
                     w->file ? w->file : "the configuration");
          add_path (paths, "gap", path, w->why, nofix);
          continue;
        }
      target = engine_wrapper_target (w->runs);
      if (target == NULL)
        {
          xasprintf (&detail, "runs `%s` itself, not through capguard's wrapper", w->runs);
          add_path (paths, "gap", path, detail, fix);
          continue;
        }
      why = capguard_at (node->root, w->runs, checked);
      xasprintf (&detail, "runs `%s` behind capguard (%s)%s%s", target, w->runs, why ? ": " : "",
                 why ? why : "");
      add_path (paths, why ? "gap" : "covered", path, detail, fix);
    }
  json_array_foreach (m.extra, i, x)
    add_path (paths, json_string_value (json_object_get (x, "state")),
              json_string_value (json_object_get (x, "path")),
              json_string_value (json_object_get (x, "detail")),
              json_string_value (json_object_get (x, "fix")));
  restart_gap (e, node->root, &m, paths);
  engine_model_release (&m);
  return 0;
}
