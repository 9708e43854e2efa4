/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "toml.h"
#include "tomledit.h"
#include "util.h"

/* containerd: each CRI handler that runs the runc shim execs its options'
   BinaryName (runc when empty) with runc's command line, for create, exec
   and restore alike; capguard sets BinaryName to the wrapper for that
   binary, in config.toml itself or in the imported file whose CRI section
   is in force, one line each (tomledit.h).

   How containerd reads the files (containerd 1.6/1.7 and 2.x source):
   - 1.x (config version 1 and 2): a `runtimes` table in the file replaces
     the default map (go-toml v1 decodes a map afresh), so containerd's own
     `runc` handler exists only when the file defines no handler; an
     imported file that names the CRI plugin replaces its whole section
     (services/server/config: "Replace entire sections").
   - 2.x (version 3 and 4): files are merged key by key into the defaults,
     so `runc` is always there and a handler's keys come from the last file
     that sets each.
   - A handler without runtime_type gets none (RunPodSandbox fails:
     "container.Runtime.Name must be set"): no process starts through it.
   - BinaryName is honoured for runtime_type io.containerd.runc.v1 and .v2
     (only .v2 in 2.x); io.containerd.runtime.v1.linux (1.x) runs options
     `Runtime`, else runtime_engine, else the linux plugin's `runtime`.
     Option keys are Go field names, matched by go-toml as BinaryName,
     binaryName or binaryname (any case in 2.x).  */

#define CONFIG "/etc/containerd/config.toml"
#define SOCKET "/run/containerd/containerd.sock"
#define RUNC_V1 "io.containerd.runc.v1"
#define RUNC_V2 "io.containerd.runc.v2"
#define LINUX_V1 "io.containerd.runtime.v1.linux"
#define MAX_IMPORTS 64

struct ctd_file
{
  char *path; /* on the node */
  struct toml_node *root;
  const char *text;
};

/* Where install sets a handler's binary.  */
struct ctd_way
{
  size_t file; /* index into files */
  const char
      *table[7]; /* the handler's options table: plugins, id, containerd, runtimes, NAME, options */
  size_t depth;
  char *key;     /* BinaryName (as the file spells it) or Runtime */
  bool add_type; /* containerd's own runc, which the file does not define: write its type too */
};

struct ctd
{
  struct ctd_file *files;
  size_t n;
  long version;
  bool merges;          /* 2.x: files merge key by key */
  const char *plugin;   /* the CRI plugin's table */
  struct ctd_way *ways; /* one per way of the model, n_ways of them */
  size_t n_ways;
  char **names; /* handler names, owned, for ctd_way.table */
  size_t n_names;
  char *dump; /* containerd config dump's output, when that is what was read */
};

static void
ctd_free (void *p)
{
  struct ctd *c = p;
  size_t i;

  if (c == NULL)
    return;
  for (i = 0; i < c->n; i++)
    {
      free (c->files[i].path);
      toml_free (c->files[i].root);
    }
  free (c->files);
  for (i = 0; i < c->n_ways; i++)
    free (c->ways[i].key);
  free (c->ways);
  for (i = 0; i < c->n_names; i++)
    free (c->names[i]);
  free (c->names);
  free (c->dump);
  free (c);
}

static const char *
config_path (const struct engine_node *node)
{
  return node->config ? node->config : CONFIG;
}

static bool
found (const struct engine_node *node, struct files *f)
{
  cleanup_free char *bin = engine_find_binary (f, "containerd");

  return bin != NULL || files_exists (f, config_path (node));
}

static char *
fix (const struct engine_node *node)
{
  char *out;

  if (node->config && strcmp (node->config, CONFIG) != 0)
    xasprintf (&out, "capguard install containerd --config %s", node->config);
  else
    out = xstrdup ("capguard install containerd");
  return out;
}

static bool
has_file (const struct ctd *c, const char *path)
{
  size_t i;

  for (i = 0; i < c->n; i++)
    if (strcmp (c->files[i].path, path) == 0)
      return true;
  return false;
}

/* Adds PATH (on the node) to the files read; a file that is not there is
   an error when MUST.  */
static int
add_file (struct ctd *c, struct files *f, const char *path, bool must, struct error **err)
{
  struct ctd_file *cf;
  struct toml_node *root = NULL;
  const char *text;

  if (has_file (c, path))
    return 0;
  if (c->n >= MAX_IMPORTS)
    return make_error (err, 0, "more than %d imported files", MAX_IMPORTS);
  if (engine_read_toml (f, path, &root, &text, err) < 0)
    return -1;
  if (text == NULL && must)
    return make_error (err, 0, "`%s%s` is imported but not there: containerd would not start",
                       files_root (f), path);
  if (text == NULL && c->n > 0)
    return 0;
  c->files = xrealloc (c->files, (c->n + 1) * sizeof *c->files);
  cf = &c->files[c->n++];
  cf->path = xstrdup (path);
  cf->root = root;
  cf->text = text;
  return 0;
}

/* The files FILE imports, in containerd's order: relative to its
   directory, globs sorted.  */
static int
imports_of (struct ctd *c, struct files *f, size_t i, struct error **err)
{
  const struct toml_node *imp = toml_child (c->files[i].root, "imports");
  size_t k;

  if (imp == NULL)
    return 0;
  if (imp->type != TOML_ARRAY)
    return make_error (err, 0, "%s%s: `imports` is not an array", files_root (f), c->files[i].path);
  for (k = 0; k < imp->n_items; k++)
    {
      cleanup_free char *dir = NULL, *path = NULL;
      const struct toml_node *v = imp->items[k];

      if (v->type != TOML_STRING)
        return make_error (err, 0, "%s%s: `imports` holds something other than a path",
                           files_root (f), c->files[i].path);
      if (v->str[0] == '/')
        path = xstrdup (v->str);
      else
        {
          cleanup_free char *copy = xstrdup (c->files[i].path);
          dir = xstrdup (dirname (copy));
          xasprintf (&path, "%s/%s", dir, v->str);
        }
      if (strpbrk (path, "*?["))
        {
          cleanup_free char *pattern = NULL;
          glob_t g;
          size_t j;
          int r;
          xasprintf (&pattern, "%s%s", files_root (f), path);
          r = glob (pattern, 0, NULL, &g);
          if (r != 0 && r != GLOB_NOMATCH)
            return make_error (err, 0, "imports `%s`: cannot list it", pattern);
          for (j = 0; r == 0 && j < g.gl_pathc; j++)
            if (add_file (c, f, g.gl_pathv[j] + strlen (files_root (f)), true, err) < 0)
              {
                globfree (&g);
                return -1;
              }
          if (r == 0)
            globfree (&g);
        }
      else if (add_file (c, f, path, true, err) < 0)
        return -1;
    }
  return 0;
}

/* The file's `version` (0 when absent).  */
static long
version_of (const struct ctd_file *cf)
{
  const struct toml_node *v = toml_child (cf->root, "version");

  return v && v->type == TOML_INTEGER ? (long)v->integer : 0;
}

static int
load (const struct engine_node *node, struct files *f, struct ctd *c, struct error **err)
{
  const char *main_file = config_path (node);
  size_t i;
  long first = -1;

  if (main_file[0] != '/')
    return make_error (err, 0, "--config `%s` is not an absolute path", main_file);
  if (add_file (c, f, main_file, false, err) < 0)
    return -1;
  if (c->files[0].root == NULL)
    {
      /* No file: containerd's defaults.  */
      c->version = 2;
      c->plugin = "io.containerd.grpc.v1.cri";
      return 0;
    }
  for (i = 0; i < c->n; i++)
    if (c->files[i].root && imports_of (c, f, i, err) < 0)
      return -1;
  /* The version in force: the last one set (mergo's override).  */
  for (i = 0; i < c->n; i++)
    {
      long v = c->files[i].root ? version_of (&c->files[i]) : 0;
      if (v == 0)
        continue;
      if (first >= 0 && (first >= 3) != (v >= 3))
        return make_error (err, 0,
                           "%s%s is config version %ld, %s%s version %ld: capguard cannot tell "
                           "which containerd reads them; make them one version",
                           files_root (f), c->files[0].path, first, files_root (f),
                           c->files[i].path, v);
      first = first < 0 ? v : first;
      c->version = v;
    }
  if (c->version > 4)
    return make_error (err, 0, "%s%s: config version %ld is newer than capguard knows",
                       files_root (f), main_file, c->version);
  c->merges = c->version >= 3;
  c->plugin = c->merges         ? "io.containerd.cri.v1.runtime"
              : c->version == 2 ? "io.containerd.grpc.v1.cri"
                                : "cri";
  return 0;
}

/* The options key of TABLE that containerd reads as FIELD (BinaryName,
   Runtime), as the file spells it: *KEY NULL when none.  Two spellings
   of it, or one go-toml would not match, are refused.  */
static int
option_key (const struct ctd *c, const struct toml_node *options, const char *field,
            const char *where, const char **key, struct error **err)
{
  cleanup_free char *lower = xstrdup (field), *lower_first = xstrdup (field);
  size_t i;

  *key = NULL;
  for (i = 0; lower[i]; i++)
    lower[i] = (char)(lower[i] >= 'A' && lower[i] <= 'Z' ? lower[i] + 32 : lower[i]);
  lower_first[0] = lower[0];
  for (i = 0; options && options->type == TOML_TABLE && i < options->n_items; i++)
    {
      const char *k = options->items[i]->key;
      if (strcasecmp (k, field) != 0)
        continue;
      if (!c->merges && strcmp (k, field) != 0 && strcmp (k, lower) != 0
          && strcmp (k, lower_first) != 0)
        return make_error (err, 0, "%s: option `%s` is not a spelling containerd 1.x reads as %s",
                           where, k, field);
      if (*key)
        return make_error (err, 0,
                           "%s: both `%s` and `%s` set %s: capguard cannot tell which "
                           "containerd takes",
                           where, *key, k, field);
      *key = k;
    }
  return 0;
}

/* The handler named NAME: its table in the file I, or NULL.  */
static const struct toml_node *
handler_table (const struct ctd *c, size_t i, const char *parent, const char *name)
{
  const char *path[] = { "plugins", c->plugin, "containerd", parent, name };
  size_t depth = strcmp (parent, "runtimes") == 0 ? 5 : 4;

  if (c->files[i].root == NULL)
    return NULL;
  return toml_get (c->files[i].root, path, depth);
}

/* A string of the handler (TABLE.KEY, or options.KEY) from the last file
   that sets it (2.x), or from file I (1.x); *FROM the file.  */
struct lookup
{
  const struct toml_node *value;
  size_t from;
};

static int
handler_value (const struct ctd *c, struct files *f, size_t cri, const char *parent,
               const char *name, const char *sub, const char *key, bool option, struct lookup *out,
               struct error **err)
{
  size_t i, lo = c->merges ? 0 : cri, hi = c->merges ? c->n : cri + 1;

  out->value = NULL;
  for (i = lo; i < hi && i < c->n; i++)
    {
      const struct toml_node *t = handler_table (c, i, parent, name), *v = NULL;
      if (t && sub)
        t = toml_child (t, sub);
      if (t == NULL)
        continue;
      if (option)
        {
          cleanup_free char *where = NULL;
          const char *k;
          xasprintf (&where, "%s%s: handler `%s`", files_root (f), c->files[i].path, name);
          if (option_key (c, t, key, where, &k, err) < 0)
            return -1;
          v = k ? toml_child (t, k) : NULL;
        }
      else
        v = toml_child (t, key);
      if (v)
        {
          out->value = v;
          out->from = i;
        }
    }
  return 0;
}

/* The file holding the CRI section in force (1.x): the last that names
   the plugin; -1 for none.  */
static long
cri_file (const struct ctd *c)
{
  long i, found_at = -1;

  for (i = 0; i < (long)c->n; i++)
    {
      const char *path[] = { "plugins", c->plugin };
      if (c->files[i].root && toml_get (c->files[i].root, path, 2))
        found_at = i;
    }
  return found_at;
}

/* Whether disabled_plugins (any file: containerd appends them) names the
   CRI plugin, by its id or its URI.  */
static bool
cri_disabled (const struct ctd *c)
{
  size_t i, k;

  for (i = 0; i < c->n; i++)
    {
      const struct toml_node *d
          = c->files[i].root ? toml_child (c->files[i].root, "disabled_plugins") : NULL;
      for (k = 0; d && d->type == TOML_ARRAY && k < d->n_items; k++)
        {
          const char *p = d->items[k]->type == TOML_STRING ? d->items[k]->str : "";
          if (strcmp (p, "cri") == 0 || strcmp (p, "io.containerd.grpc.v1.cri") == 0
              || strcmp (p, c->plugin) == 0)
            return true;
        }
    }
  return false;
}

static void
add_name (struct ctd *c, const char *name)
{
  size_t i;

  for (i = 0; i < c->n_names; i++)
    if (strcmp (c->names[i], name) == 0)
      return;
  c->names = xrealloc (c->names, (c->n_names + 1) * sizeof *c->names);
  c->names[c->n_names++] = xstrdup (name);
}

/* Every handler name, as containerd will have them.  */
static void
handler_names (struct ctd *c, long cri, bool *implicit_runc)
{
  size_t i, k;

  *implicit_runc = false;
  if (c->merges)
    add_name (c, "runc");
  for (i = c->merges ? 0 : (size_t)(cri < 0 ? 0 : cri); i < c->n; i++)
    {
      const char *path[] = { "plugins", c->plugin, "containerd", "runtimes" };
      const struct toml_node *rt = c->files[i].root ? toml_get (c->files[i].root, path, 4) : NULL;
      if (!c->merges && (long)i != cri)
        break;
      for (k = 0; rt && rt->type == TOML_TABLE && k < rt->n_items; k++)
        if (rt->items[k]->type == TOML_TABLE)
          add_name (c, rt->items[k]->key);
    }
  if (!c->merges)
    {
      const char *path[] = { "plugins", c->plugin, "containerd", "runtimes" };
      const struct toml_node *rt
          = cri >= 0 && c->files[cri].root ? toml_get (c->files[cri].root, path, 4) : NULL;
      if (rt == NULL)
        {
          add_name (c, "runc");
          *implicit_runc = true;
        }
    }
}

static const char *
string_or (const struct lookup *l, const char *dflt)
{
  return l->value && l->value->type == TOML_STRING ? l->value->str : dflt;
}

/* One handler into the model: what it runs, and where install sets it.  */
static int
model_handler (const struct engine_node *node, struct files *f, struct ctd *c, long cri,
               const char *parent, const char *name, bool implicit, const char *dflt,
               struct engine_model *m, struct error **err)
{
  size_t at = cri < 0 ? 0 : (size_t)cri;
  struct lookup type, bin, options, engine_l;
  cleanup_free char *label = NULL;
  struct engine_way *w;
  struct ctd_way *cw;
  const char *t;

  (void)node;
  xasprintf (&label, "CRI handler `%s`", name);
  if (handler_value (c, f, at, parent, name, NULL, "runtime_type", false, &type, err) < 0
      || handler_value (c, f, at, parent, name, NULL, "options", false, &options, err) < 0)
    return -1;
  t = implicit ? RUNC_V2
               : string_or (&type, c->merges && strcmp (name, "runc") == 0 ? RUNC_V2 : "");
  w = engine_model_add (m, name, label);
  w->is_default = strcmp (name, dflt) == 0;
  c->ways = xrealloc (c->ways, m->n_ways * sizeof *c->ways);
  c->n_ways = m->n_ways;
  cw = &c->ways[m->n_ways - 1];
  memset (cw, 0, sizeof *cw);
  if (t[0] == '\0')
    {
      w->broken = true;
      xasprintf (&w->why, "no runtime_type: containerd starts nothing through it");
      return 0;
    }
  if (strcmp (t, RUNC_V2) == 0 || (strcmp (t, RUNC_V1) == 0 && !c->merges))
    {
      if (handler_value (c, f, at, parent, name, "options", "BinaryName", true, &bin, err) < 0)
        return -1;
      w->runs = xstrdup (string_or (&bin, "")[0] ? string_or (&bin, "") : "runc");
      cw->key = xstrdup (bin.value ? bin.value->key : "BinaryName");
    }
  else if (strcmp (t, LINUX_V1) == 0 && !c->merges)
    {
      /* The v1 shim runs options.Runtime, else runtime_engine (only
         without an options table), else the linux plugin's runtime.  */
      const char *lp[] = { "plugins", "linux", "runtime" };
      const char *lp2[] = { "plugins", "io.containerd.runtime.v1.linux", "runtime" };
      const char *plugin_rt = NULL;
      size_t i;
      if (handler_value (c, f, at, parent, name, "options", "Runtime", true, &bin, err) < 0
          || handler_value (c, f, at, parent, name, NULL, "runtime_engine", false, &engine_l, err)
                 < 0)
        return -1;
      for (i = 0; i < c->n; i++)
        if (c->files[i].root)
          {
            const char *s = toml_get_string (c->files[i].root, c->version == 2 ? lp2 : lp, 3, NULL);
            plugin_rt = s ? s : plugin_rt;
          }
      if (string_or (&bin, "")[0])
        w->runs = xstrdup (string_or (&bin, ""));
      else if (options.value == NULL && string_or (&engine_l, "")[0])
        w->runs = xstrdup (string_or (&engine_l, ""));
      else
        w->runs = xstrdup (plugin_rt && plugin_rt[0] ? plugin_rt : "runc");
      cw->key = xstrdup (bin.value ? bin.value->key : "Runtime");
    }
  else
    {
      xasprintf (&w->why,
                 "runtime_type `%s` is a shim of its own, not an OCI runtime run with "
                 "runc's command line",
                 t);
      return 0;
    }
  /* Where install writes it: 1.x, the file of the CRI section in force
     (config.toml when none names it); 2.x, the last file that sets the
     binary, else the last that has the handler, else config.toml.  */
  cw->file = at;
  if (c->merges)
    {
      size_t i;
      cw->file = 0;
      for (i = 0; i < c->n; i++)
        if (handler_table (c, i, parent, name))
          cw->file = i;
      if (bin.value)
        cw->file = bin.from;
    }
  cw->add_type = implicit;
  cw->table[0] = "plugins";
  cw->table[1] = c->plugin;
  cw->table[2] = "containerd";
  cw->depth = 0;
  {
    size_t d = 3;
    if (strcmp (parent, "runtimes") == 0)
      cw->table[d++] = "runtimes";
    else
      cw->table[d++] = parent;
    if (strcmp (parent, "runtimes") == 0)
      cw->table[d++] = name;
    cw->table[d++] = "options";
    cw->depth = d;
  }
  w->file = c->n > 0 ? xstrdup (c->files[cw->file].path) : xstrdup (config_path (node));
  return 0;
}

/* status on the node itself: what containerd makes of its files (imports
   and defaults included), from `containerd config dump`.  Returns 0 when
   the dump replaced the files, 1 when containerd is not there or fails (the
   files are read instead).  */
static int
use_dump (const struct engine_node *node, struct files *f, struct ctd *c, struct error **err)
{
  cleanup_error struct error *ignored = NULL;
  cleanup_free char *bin = NULL, *full = NULL;
  struct toml_node *root = NULL;
  const char *main_file = config_path (node);
  size_t len, i;

  xasprintf (&full, "%s%s", files_root (f), main_file);
  {
    struct files *plain = files_new ("");
    bin = engine_find_binary (plain, "containerd");
    files_free (plain);
  }
  if (bin == NULL || access (bin, X_OK) < 0)
    return 1;
  {
    char *argv[] = { bin,
                     (char *)"--config",
                     access (full, R_OK) == 0 ? full : (char *)"/dev/null",
                     (char *)"config",
                     (char *)"dump",
                     NULL };
    c->dump = util_run_capture (argv, CAPGUARD_MAX_CONFIG, true, &len, &ignored);
  }
  if (c->dump == NULL)
    return 1;
  if (toml_parse (c->dump, len, "containerd config dump", &root, err) < 0)
    return -1;
  /* Under --root the containerd here is not the node's: one that reads
     another config version than the node's files would report its own
     defaults.  */
  if (files_root (f)[0] && (version_of (&(struct ctd_file){ .root = root }) >= 3) != c->merges)
    {
      toml_free (root);
      return 1;
    }
  for (i = 0; i < c->n; i++)
    {
      free (c->files[i].path);
      toml_free (c->files[i].root);
    }
  c->n = 1;
  c->files = xrealloc (c->files, sizeof *c->files);
  c->files[0].path = xstrdup (main_file);
  c->files[0].root = root;
  c->files[0].text = c->dump;
  c->version = version_of (&c->files[0]);
  c->merges = c->version >= 3;
  c->plugin = c->merges         ? "io.containerd.cri.v1.runtime"
              : c->version == 2 ? "io.containerd.grpc.v1.cri"
                                : "cri";
  return 0;
}

/* containerd's socket, for the restart check: the last grpc.address.  */
static char *
socket_of (const struct ctd *c)
{
  const char *grpc[] = { "grpc", "address" };
  const char *sock = NULL;
  size_t i;

  for (i = 0; i < c->n; i++)
    if (c->files[i].root)
      {
        const char *s = toml_get_string (c->files[i].root, grpc, 2, NULL);
        sock = s && s[0] == '/' ? s : sock;
      }
  return xstrdup (sock ? sock : SOCKET);
}

/* Every CRI handler into M.  The default handler: default_runtime_name,
   unless a 1.x legacy default_runtime table with a type takes over (it
   becomes `default`).  */
static int
model_handlers (const struct engine_node *node, struct files *f, struct ctd *c, long cri,
                bool implicit, struct engine_model *m, struct error **err)
{
  const char *path[] = { "plugins", c->plugin, "containerd", "default_runtime_name" };
  struct lookup l = { 0 }, legacy = { 0 };
  cleanup_free char *dflt = NULL;
  size_t i;

  for (i = c->merges ? 0 : (size_t)(cri < 0 ? 0 : cri); i < c->n; i++)
    {
      const struct toml_node *v = c->files[i].root ? toml_get (c->files[i].root, path, 4) : NULL;
      if (v && v->type == TOML_STRING)
        l.value = v;
      if (!c->merges)
        break;
    }
  dflt = xstrdup (string_or (&l, "runc"));
  if (!c->merges && cri >= 0
      && handler_value (c, f, (size_t)cri, "default_runtime", NULL, NULL, "runtime_type", false,
                        &legacy, err)
             < 0)
    return -1;
  if (legacy.value && legacy.value->type == TOML_STRING && legacy.value->str[0])
    {
      free (dflt);
      dflt = xstrdup ("default");
    }
  for (i = 0; i < c->n_names; i++)
    if (model_handler (node, f, c, cri, "runtimes", c->names[i],
                       implicit && strcmp (c->names[i], "runc") == 0, dflt, m, err)
        < 0)
      return -1;
  if (legacy.value && legacy.value->type == TOML_STRING && legacy.value->str[0]
      && model_handler (node, f, c, cri, "default_runtime", "default", false, dflt, m, err) < 0)
    return -1;
  legacy.value = NULL;
  if (!c->merges && cri >= 0
      && handler_value (c, f, (size_t)cri, "untrusted_workload_runtime", NULL, NULL, "runtime_type",
                        false, &legacy, err)
             < 0)
    return -1;
  if (legacy.value && legacy.value->type == TOML_STRING && legacy.value->str[0]
      && model_handler (node, f, c, cri, "untrusted_workload_runtime", "untrusted", false, dflt, m,
                        err)
             < 0)
    return -1;
  return 0;
}

static int
model (const struct engine_node *node, struct files *f, struct engine_model *m, struct error **err)
{
  struct ctd *c = xmalloc0 (sizeof *c);
  bool implicit;
  long cri;
  size_t i;

  m->priv = c;
  m->priv_free = ctd_free;
  if (load (node, f, c, err) < 0)
    return -1;
  m->files = json_array ();
  for (i = 0; i < c->n; i++)
    json_array_append_new (m->files, json_string (c->files[i].path));
  xasprintf (&m->source, "%s%s", files_root (f), config_path (node));
  if (c->n > 1)
    {
      char *s;
      xasprintf (&s, "%s and %zu imported file%s", m->source, c->n - 1, c->n == 2 ? "" : "s");
      free (m->source);
      m->source = s;
    }
  /* Under --root, containerd would read absolute imports from this
     machine, not from the node: only a file without imports is given to
     it there.  */
  if (node->use_engine && (files_root (f)[0] == '\0' || c->n == 1)
      && use_dump (node, f, c, err) == 0)
    {
      free (m->source);
      xasprintf (&m->source, "containerd config dump of %s", config_path (node));
    }
  if (*err)
    return -1;
  /* The socket, for the restart check.  */
  m->socket = socket_of (c);
  if (cri_disabled (c))
    {
      engine_model_extra (m, "covered", "the CRI plugin",
                          "disabled (disabled_plugins): no CRI handler starts anything", NULL);
      goto residual;
    }
  cri = cri_file (c);
  handler_names (c, cri, &implicit);
  if (model_handlers (node, f, c, cri, implicit, m, err) < 0)
    return -1;
residual:
  engine_model_extra (m, "residual", "`ctr run` without --runc-binary",
                      "containerd's own runc, outside CRI: only root on the node can start it",
                      NULL);
  return 0;
}

/* Sets K in *TEXT (NAME in errors).  */
static int
set_key (char **text, const char *name, const struct tomledit_key *k, struct error **err)
{
  cleanup_free char *edited = NULL;

  if (tomledit_set (*text, name, k, &edited, err) < 0)
    return -1;
  if (edited)
    {
      free (*text);
      *text = steal_pointer (&edited);
    }
  return 0;
}

static int
install (const struct engine_node *node, const struct engine_model *m, struct files *f,
         struct error **err)
{
  const struct ctd *c = m->priv;
  size_t n = c->n, i;
  char **texts = xmalloc0 (sizeof *texts * n);
  bool created = false;
  int ret = -1;

  for (i = 0; i < n; i++)
    texts[i] = xstrdup (c->files[i].text ? c->files[i].text : "");
  if (texts[0][strspn (texts[0], " \t\r\n")] == '\0')
    {
      /* No configuration at all: one of capguard's own, which uninstall
         removes whole.  */
      free (texts[0]);
      texts[0] = xstrdup ("version = 2  " TOMLEDIT_MARK "\n");
      created = true;
    }
  for (i = 0; i < m->n_ways; i++)
    {
      const struct engine_way *w = &m->ways[i];
      const struct ctd_way *cw = &c->ways[i];
      cleanup_free char *target = NULL, *wrapper = NULL, *value = NULL, *name = NULL;
      struct tomledit_key k = { .table = cw->table, .depth = cw->depth, .key = cw->key };
      struct tomledit_key tk = { .table = cw->table,
                                 .depth = cw->depth - 1,
                                 .key = "runtime_type",
                                 .value = "\"" RUNC_V2 "\"" };

      if (w->runs == NULL || (target = engine_wrapper_target (w->runs)) != NULL)
        continue;
      wrapper = engine_wrapper_for (node->wrapper_dir, w->runs);
      if (wrapper == NULL)
        {
          make_error (err, 0,
                      "%s%s: %s runs `%s`, a path relative to the shim's directory: give its "
                      "absolute path, then run install again",
                      files_root (f), w->file, w->label, w->runs);
          goto done;
        }
      xasprintf (&name, "%s%s", files_root (f), c->files[cw->file].path);
      value = toml_quote (wrapper);
      k.value = value;
      if ((cw->add_type && set_key (&texts[cw->file], name, &tk, err) < 0)
          || set_key (&texts[cw->file], name, &k, err) < 0)
        goto done;
      engine_plan_wrapper (node, f, wrapper);
    }
  /* config.toml, and each file that changes (install says "unchanged"
     of the ones that hold capguard's lines already).  */
  for (i = 0; i < n; i++)
    {
      const char *old = c->files[i].text;
      if (i == 0 || old == NULL || strcmp (old, texts[i]) != 0)
        files_put (f, c->files[i].path, texts[i], !(created && i == 0));
    }
  ret = 0;
done:
  for (i = 0; i < n; i++)
    free (texts[i]);
  free (texts);
  if (ret < 0)
    return -1;
  /* The conf.d file of earlier capguard versions reset the node's CRI
     section: it goes.  The refusal hooks, for NRI's hook-injector (1.7+).  */
  files_remove (f, "/etc/containerd/conf.d/capguard.toml");
  {
    cleanup_free char *create = engine_hook_json (node->binary, "createRuntime");
    cleanup_free char *post = engine_hook_json (node->binary, "poststart");
    files_put (f, "/etc/containers/oci/hooks.d/capguard-createRuntime.json", create, false);
    files_put (f, "/etc/containers/oci/hooks.d/capguard-poststart.json", post, false);
  }
  return 0;
}

static int
uninstall (const struct engine_node *node, const struct engine_model *m, struct files *f,
           struct error **err)
{
  const struct ctd *c = m->priv;
  size_t i;

  for (i = 0; i < c->n; i++)
    {
      cleanup_free char *reverted = NULL, *bpath = NULL, *name = NULL;
      const char *text = c->files[i].text, *backup, *now;

      if (text == NULL)
        continue;
      xasprintf (&name, "%s%s", files_root (f), c->files[i].path);
      if (tomledit_revert (text, &reverted, err) < 0)
        return error_wrap (err, "%s", name);
      xasprintf (&bpath, "%s" FILES_BACKUP_SUFFIX, c->files[i].path);
      if (files_read (f, bpath, &backup, err) < 0)
        return -1;
      if (reverted && reverted[strspn (reverted, " \t\r\n")] == '\0')
        files_remove (f, c->files[i].path); /* install made it */
      else if (reverted)
        files_put (f, c->files[i].path, reverted, false);
      now = reverted ? reverted : text;
      if (backup && strcmp (now, backup) == 0)
        files_remove (f, bpath);
      else if (backup)
        fprintf (node->out, "kept       %s%s: %s was edited since install\n", files_root (f), bpath,
                 name);
    }
  files_remove (f, "/etc/containerd/conf.d/capguard.toml");
  files_remove (f, "/etc/containers/oci/hooks.d/capguard-createRuntime.json");
  files_remove (f, "/etc/containers/oci/hooks.d/capguard-poststart.json");
  return 0;
}

const struct engine_ops engine_containerd = {
  .name = "containerd",
  .takes_config = true,
  .found = found,
  .model = model,
  .install = install,
  .uninstall = uninstall,
  .restart = "systemctl restart containerd",
  .fix = fix,
};
