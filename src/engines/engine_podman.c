/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <sys/stat.h>

#include "engine.h"
#include "toml.h"
#include "util.h"

/* podman (4.3, containers/common 0.50): containers.conf from
   /usr/share/containers, then /etc/containers, then
   the *.conf files of /etc/containers/containers.conf.d in name order, each decoded
   over the last.  `[engine.runtimes]` maps a runtime name to candidate
   paths, merged name by name (a file's list replaces that name's list);
   podman runs the first candidate that is a regular file (links followed),
   else the name on its PATH; `engine.runtime` is the default, a name of
   that map or an absolute path (unset: the first of crun, runc, runj,
   kata, runsc that is found).  Every runtime podman runs gets runc's
   command line through conmon, exec included (`exec --process`).

   capguard adds a drop-in of its own that sorts last: for each runtime
   name that resolves on the node, the wrapper for the binary it resolves
   to as the name's only candidate, so podman keeps its runtime names (and
   the features it keys on them), `--runtime NAME` passes through capguard
   too, and containers made before install keep working; `hooks_dir` the
   node's directories then capguard's own, where the precreate hook is (a
   directory CRI-O and NRI never read: they reject the precreate stage).  */

#define USR_CONF "/usr/share/containers/containers.conf"
#define ETC_CONF "/etc/containers/containers.conf"
#define DROPINS "/etc/containers/containers.conf.d"
#define CAPGUARD_DROPIN DROPINS "/zz-capguard.conf"
#define OLD_DROPIN DROPINS "/capguard-hooks.conf"
#define PODMAN_HOOKS "/etc/containers/capguard/hooks.d"
#define PRECREATE PODMAN_HOOKS "/capguard-precreate.json"

/* containers/common v0.50.1 pkg/config/default.go: the runtimes podman
   knows without any containers.conf, and the order it picks a default in.  */
static const char *const default_runtimes[][10] = {
  { "crun", "/usr/bin/crun", "/usr/sbin/crun", "/usr/local/bin/crun", "/usr/local/sbin/crun",
    "/sbin/crun", "/bin/crun", "/run/current-system/sw/bin/crun", NULL },
  { "runc", "/usr/bin/runc", "/usr/sbin/runc", "/usr/local/bin/runc", "/usr/local/sbin/runc",
    "/sbin/runc", "/bin/runc", "/usr/lib/cri-o-runc/sbin/runc", "/run/current-system/sw/bin/runc",
    NULL },
  { "runj", "/usr/local/bin/runj", NULL },
  { "kata", "/usr/bin/kata-runtime", "/usr/sbin/kata-runtime", "/usr/local/bin/kata-runtime",
    "/usr/local/sbin/kata-runtime", "/sbin/kata-runtime", "/bin/kata-runtime", "/usr/bin/kata-qemu",
    "/usr/bin/kata-fc", NULL },
  { "runsc", "/usr/bin/runsc", "/usr/sbin/runsc", "/usr/local/bin/runsc", "/usr/local/sbin/runsc",
    "/bin/runsc", "/sbin/runsc", "/run/current-system/sw/bin/runsc", NULL },
  { "krun", "/usr/bin/krun", "/usr/local/bin/krun", NULL },
};
static const char *const default_order[] = { "crun", "runc", "runj", "kata", "runsc", NULL };
static const char *const default_hooks[]
    = { "/usr/share/containers/oci/hooks.d", "/etc/containers/oci/hooks.d", NULL };

struct pod
{
  json_t *runtimes;  /* name -> [candidates], merged */
  json_t *sources;   /* name -> the file that set it last */
  json_t *hooks_dir; /* [dirs] */
  char *runtime;     /* engine.runtime, or NULL */
  char *runtime_file;
  json_t *paths;
};

static void
pod_free (void *p)
{
  struct pod *d = p;

  if (d == NULL)
    return;
  json_decref (d->runtimes);
  json_decref (d->sources);
  json_decref (d->hooks_dir);
  json_decref (d->paths);
  free (d->runtime);
  free (d->runtime_file);
  free (d);
}

static bool
found (const struct engine_node *node, struct files *f)
{
  cleanup_free char *bin = engine_find_binary (f, "podman");

  (void)node;
  return bin != NULL || files_exists (f, ETC_CONF) || files_exists (f, DROPINS);
}

static char *
fix (const struct engine_node *node)
{
  (void)node;
  return xstrdup ("capguard install podman");
}

static json_t *
string_array (const struct toml_node *v, const char *full, const char *what, struct error **err)
{
  json_t *out;
  size_t i;

  if (v->type != TOML_ARRAY)
    return make_error (err, 0, "%s: line %zu: `%s` is not an array of strings", full, v->line,
                       what),
           NULL;
  out = json_array ();
  for (i = 0; i < v->n_items; i++)
    {
      if (v->items[i]->type != TOML_STRING)
        {
          json_decref (out);
          return make_error (err, 0, "%s: line %zu: `%s` is not an array of strings", full, v->line,
                             what),
                 NULL;
        }
      json_array_append_new (out, json_string (v->items[i]->str));
    }
  return out;
}

static int
merge (struct pod *d, struct files *f, const char *path, bool node_only, struct error **err)
{
  cleanup_toml struct toml_node *root = NULL;
  cleanup_free char *full = NULL;
  const struct toml_node *engine, *v, *rt;
  const char *text;
  size_t i;

  if (node_only && strcmp (path, CAPGUARD_DROPIN) == 0)
    return 0;
  xasprintf (&full, "%s%s", files_root (f), path);
  if (engine_read_toml (f, path, &root, &text, err) < 0)
    return -1;
  if (root == NULL)
    return 0;
  json_array_append_new (d->paths, json_string (path));
  engine = toml_child (root, "engine");
  if ((v = toml_child (engine, "hooks_dir")))
    {
      json_t *dirs = string_array (v, full, "hooks_dir", err);
      if (dirs == NULL)
        return -1;
      json_decref (d->hooks_dir);
      d->hooks_dir = dirs;
    }
  if ((v = toml_child (engine, "runtime")))
    {
      if (v->type != TOML_STRING)
        return make_error (err, 0, "%s: line %zu: engine.runtime is not a string", full, v->line);
      free (d->runtime);
      free (d->runtime_file);
      d->runtime = v->str[0] ? xstrdup (v->str) : NULL;
      d->runtime_file = xstrdup (path);
    }
  rt = toml_child (engine, "runtimes");
  for (i = 0; rt && rt->type == TOML_TABLE && i < rt->n_items; i++)
    {
      cleanup_free char *what = NULL;
      json_t *list;
      xasprintf (&what, "engine.runtimes.%s", rt->items[i]->key);
      if ((list = string_array (rt->items[i], full, what, err)) == NULL)
        return -1;
      json_object_set_new (d->runtimes, rt->items[i]->key, list);
      json_object_set_new (d->sources, rt->items[i]->key, json_string (path));
    }
  return 0;
}

static int
load (struct files *f, struct pod *d, bool node_only, struct error **err)
{
  json_auto_t *dropins = NULL;
  json_t *v;
  size_t i;

  d->runtimes = json_object ();
  d->sources = json_object ();
  d->paths = json_array ();
  d->hooks_dir = json_array ();
  for (i = 0; default_hooks[i]; i++)
    json_array_append_new (d->hooks_dir, json_string (default_hooks[i]));
  for (i = 0; i < sizeof default_runtimes / sizeof default_runtimes[0]; i++)
    {
      json_t *list = json_array ();
      size_t k;
      for (k = 1; default_runtimes[i][k]; k++)
        json_array_append_new (list, json_string (default_runtimes[i][k]));
      json_object_set_new (d->runtimes, default_runtimes[i][0], list);
    }
  if (merge (d, f, USR_CONF, node_only, err) < 0 || merge (d, f, ETC_CONF, node_only, err) < 0
      || files_list (f, DROPINS, false, "*.conf", &dropins, err) < 0)
    return -1;
  json_array_foreach (dropins, i, v)
    if (merge (d, f, json_string_value (v), node_only, err) < 0)
      return -1;
  return 0;
}

/* What podman runs for the runtime NAME: the first candidate that is a
   regular file, else NAME on its PATH; NULL when none.  */
static char *
resolve (struct files *f, const struct pod *d, const char *name)
{
  json_t *list = json_object_get (d->runtimes, name), *v;
  size_t i;

  json_array_foreach (list, i, v)
    {
      const char *p = json_string_value (v);
      cleanup_free char *full = NULL, *target = engine_wrapper_target (p);
      struct stat st;
      /* A wrapper (a link to capguard, perhaps only planned yet) is a
         regular file once followed.  */
      xasprintf (&full, "%s%s", files_root (f), p);
      if (target ? files_exists (f, p) : (stat (full, &st) == 0 && S_ISREG (st.st_mode)))
        return xstrdup (p);
    }
  return engine_find_binary (f, name);
}

static char *
default_runtime (struct files *f, const struct pod *d)
{
  size_t i;

  if (d->runtime)
    return xstrdup (d->runtime);
  for (i = 0; default_order[i]; i++)
    {
      cleanup_free char *p = resolve (f, d, default_order[i]);
      if (p)
        return xstrdup (default_order[i]);
    }
  return NULL;
}

static int
model (const struct engine_node *node, struct files *f, struct engine_model *m, struct error **err)
{
  struct pod *d = xmalloc0 (sizeof *d);
  cleanup_free char *def = NULL;
  const char *name;
  json_t *list;
  bool listed = false;
  size_t i;

  (void)node;
  m->priv = d;
  m->priv_free = pod_free;
  if (load (f, d, false, err) < 0)
    return -1;
  xasprintf (&m->source, "%s" ETC_CONF " and " DROPINS "/*.conf", files_root (f));
  m->files = json_deep_copy (d->paths);
  def = default_runtime (f, d);
  json_object_foreach (d->runtimes, name, list)
    {
      cleanup_free char *label = NULL, *runs = resolve (f, d, name);
      struct engine_way *w;
      if (runs == NULL)
        continue; /* not on this node: podman cannot run it */
      xasprintf (&label, "runtime `%s`", name);
      w = engine_model_add (m, name, label);
      w->runs = steal_pointer (&runs);
      w->is_default = def && strcmp (def, name) == 0;
      w->file = json_string_value (json_object_get (d->sources, name))
                    ? xstrdup (json_string_value (json_object_get (d->sources, name)))
                    : NULL;
    }
  if (def && def[0] != '/' && json_object_get (d->runtimes, def) == NULL)
    {
      struct engine_way *w = engine_model_add (m, def, "engine.runtime");
      w->is_default = w->broken = true;
      xasprintf (&w->why, "`%s` is not a runtime of engine.runtimes: podman refuses to run", def);
    }
  if (def && def[0] == '/')
    {
      struct engine_way *w = engine_model_add (m, def, "engine.runtime (a path)");
      w->runs = xstrdup (def);
      w->is_default = true;
      w->file = d->runtime_file ? xstrdup (d->runtime_file) : NULL;
    }
  /* create also through the precreate hook: in a hooks_dir podman reads,
     naming a capguard.  */
  json_array_foreach (d->hooks_dir, i, list)
    listed = listed || strcmp (json_string_value (list), PODMAN_HOOKS) == 0;
  if (!listed || !files_exists (f, PRECREATE))
    engine_model_extra (m, "gap", "create: the precreate hook",
                        !listed ? "hooks_dir does not list " PODMAN_HOOKS
                                : "no capguard-precreate.json in " PODMAN_HOOKS,
                        "capguard install podman");
  else
    engine_model_extra (m, "covered", "create: the precreate hook", "in " PODMAN_HOOKS, NULL);
  engine_model_extra (m, "residual", "`podman --runtime /a/path`",
                      "a runtime named by its path on the command line: only who may run podman "
                      "as root can choose it",
                      NULL);
  return 0;
}

static int
install (const struct engine_node *node, const struct engine_model *m, struct files *f,
         struct error **err)
{
  struct pod *own = xmalloc0 (sizeof *own);
  cleanup_free char *conf = NULL, *pre = engine_hook_json (node->binary, "precreate");
  const char *name;
  json_t *list, *v;
  size_t i;
  bool listed = false;
  int ret = -1;

  (void)m;
  if (load (f, own, true, err) < 0)
    goto done;
  conf = xstrdup (
      "# capguard: podman's runtimes run capguard's runtime wrapper in front of the runtime\n"
      "# each name ran when capguard was installed, and the precreate hook is in a directory of\n"
      "# its own that CRI-O and NRI's hook-injector never read (they reject the precreate stage).\n"
      "# hooks_dir replaces podman's list: these are the node's directories, then capguard's.\n"
      "# This file sorts last, so it is read last; run `capguard install podman` again after\n"
      "# changing hooks_dir or a runtime.  `capguard uninstall podman` removes it.\n"
      "[engine]\nhooks_dir = [\n");
  json_array_foreach (own->hooks_dir, i, v)
    {
      cleanup_free char *q = toml_quote (json_string_value (v));
      listed = listed || strcmp (json_string_value (v), PODMAN_HOOKS) == 0;
      util_append (&conf, "", "  %s,\n", q);
    }
  if (!listed)
    util_append (&conf, "", "  \"" PODMAN_HOOKS "\",\n");
  util_append (&conf, "", "]\n");
  if (own->runtime && own->runtime[0] == '/')
    {
      cleanup_free char *t = engine_wrapper_target (own->runtime);
      cleanup_free char *w
          = t ? xstrdup (own->runtime) : engine_wrapper_for (node->wrapper_dir, own->runtime);
      cleanup_free char *q = w ? toml_quote (w) : NULL;
      if (w == NULL)
        {
          make_error (err, 0, "engine.runtime `%s` cannot be wrapped", own->runtime);
          goto done;
        }
      util_append (&conf, "", "runtime = %s\n", q);
      engine_plan_wrapper (node, f, w);
    }
  util_append (&conf, "", "\n[engine.runtimes]\n");
  json_object_foreach (own->runtimes, name, list)
    {
      cleanup_free char *runs = resolve (f, own, name), *t = NULL, *w = NULL, *q = NULL;
      cleanup_free char *key = toml_quote_key (name);
      if (runs == NULL)
        continue;
      t = engine_wrapper_target (runs);
      w = t ? xstrdup (runs) : engine_wrapper_for (node->wrapper_dir, runs);
      if (w == NULL)
        {
          make_error (err, 0, "runtime `%s` runs `%s`, which capguard cannot wrap", name, runs);
          goto done;
        }
      q = toml_quote (w);
      util_append (&conf, "", "%s = [%s]\n", key, q);
      engine_plan_wrapper (node, f, w);
    }
  files_put (f, PRECREATE, pre, false);
  files_put (f, CAPGUARD_DROPIN, conf, false);
  files_remove (f, OLD_DROPIN);
  ret = 0;
done:
  pod_free (own);
  return ret;
}

static int
uninstall (const struct engine_node *node, const struct engine_model *m, struct files *f,
           struct error **err)
{
  (void)node;
  (void)m;
  (void)err;
  files_remove (f, PRECREATE);
  files_remove (f, CAPGUARD_DROPIN);
  files_remove (f, OLD_DROPIN);
  return 0;
}

const struct engine_ops engine_podman = {
  .name = "podman",
  .takes_config = false,
  .found = found,
  .model = model,
  .install = install,
  .uninstall = uninstall,
  .restart = NULL,
  .fix = fix,
};
