/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include <strings.h>

#include "engine.h"
#include "capset.h"
#include "policy.h"
#include "toml.h"
#include "util.h"

/* CRI-O (v1.26 source): crio.conf, then every file under crio.conf.d,
   recursively, in lexical order (filepath.Walk; no suffix filter, hidden
   files too), each decoded over the result so far (BurntSushi toml).  A
   file that names a handler [crio.runtime.runtimes.X] replaces X whole,
   its unnamed fields zero; `hooks_dir` is replaced, not extended; the
   built-in `runc` handler exists whether or not a file names it.  A
   handler of runtime_type "oci" (or none) runs its runtime_path (else its
   own name on CRI-O's PATH) with runc's command line, through conmon for
   create and exec probes and directly for streaming exec, always with
   `--process`; so does "pod", through conmon-rs; "vm" runs a containerd
   shim instead.

   capguard puts each oci handler's runtime_path behind the wrapper for it,
   in a drop-in of its own that sorts last (CAPGUARD_DROPIN): the handler
   copied whole from the file CRI-O takes it from, with runtime_path
   changed, so every other setting of the node stays (default_runtime
   too).  default_capabilities (the policy's ceiling, less `deny`) goes in
   an early drop-in the node's own ones still override.  The refusal hooks
   go into the first directory of CRI-O's hooks_dir.  */

#define CONFIG "/etc/crio/crio.conf"
#define DROPINS "/etc/crio/crio.conf.d"
#define SOCKET "/run/crio/crio.sock"
#define CAPGUARD_DROPIN DROPINS "/zz-capguard-runtimes.conf"
#define CAPGUARD_DEFAULTS DROPINS "/10-capguard.conf"
#define OLD_RUNTIME_DROPIN DROPINS "/20-capguard-runtime.conf"
#define HOOKS_DEFAULT "/usr/share/containers/oci/hooks.d"

/* The built-in handler's settings in CRI-O 1.26 (pkg/config
   defaultRuntimeHandler): a drop-in that names `runc` replaces them, so
   capguard's copy writes them out.  */
static const char BUILTIN_RUNC[]
    = "runtime_type = \"oci\"\n"
      "runtime_root = \"/run/runc\"\n"
      "allowed_annotations = [\"io.containers.trace-syscall\"]\n"
      "monitor_env = [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]\n"
      "monitor_cgroup = \"system.slice\"\n";

static const char *const crio_fields[] = { "runtime", "api", NULL };
static const char *const runtime_fields[]
    = { "default_runtime", "hooks_dir", "runtimes", "default_capabilities", NULL };
static const char *const handler_fields[]
    = { "runtime_path", "runtime_type", "runtime_root", NULL };

struct handler
{
  char *name;
  const struct toml_node *table; /* NULL: the built-in runc */
  const char *text;              /* the text of the file that defines it */
  char *file;
};

struct crio
{
  json_t *paths;            /* the files, in CRI-O's order */
  struct toml_node **roots; /* parsed, same order */
  const char **texts;
  size_t n;
  struct handler *handlers;
  size_t n_handlers;
  json_t *hooks_dir;
  char *default_runtime;
};

static void
crio_free (void *p)
{
  struct crio *c = p;
  size_t i;

  if (c == NULL)
    return;
  for (i = 0; i < c->n; i++)
    toml_free (c->roots[i]);
  free (c->roots);
  free (c->texts);
  for (i = 0; i < c->n_handlers; i++)
    {
      free (c->handlers[i].name);
      free (c->handlers[i].file);
    }
  free (c->handlers);
  json_decref (c->paths);
  json_decref (c->hooks_dir);
  free (c->default_runtime);
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
  cleanup_free char *bin = engine_find_binary (f, "crio");

  return bin != NULL || files_exists (f, config_path (node)) || files_exists (f, DROPINS);
}

static char *
fix (const struct engine_node *node)
{
  (void)node;
  return xstrdup ("capguard install crio");
}

/* A key of TABLE that CRI-O's decoder (BurntSushi, which matches struct
   fields case-insensitively) would take for one of FIELDS while spelled
   differently: refused, as capguard could read another member than CRI-O.  */
static int
check_spelling (const struct toml_node *table, const char *const *fields, const char *where,
                struct error **err)
{
  size_t i, j;

  for (i = 0; table && table->type == TOML_TABLE && i < table->n_items; i++)
    for (j = 0; fields[j]; j++)
      if (strcmp (table->items[i]->key, fields[j]) != 0
          && strcasecmp (table->items[i]->key, fields[j]) == 0)
        return make_error (err, 0,
                           "%s: key `%s` would be read by CRI-O as `%s`: refusing an "
                           "ambiguous file",
                           where, table->items[i]->key, fields[j]);
  return 0;
}

static struct handler *
handler_named (struct crio *c, const char *name)
{
  size_t i;

  for (i = 0; i < c->n_handlers; i++)
    if (strcmp (c->handlers[i].name, name) == 0)
      return &c->handlers[i];
  c->handlers = xrealloc (c->handlers, (c->n_handlers + 1) * sizeof *c->handlers);
  memset (&c->handlers[c->n_handlers], 0, sizeof *c->handlers);
  c->handlers[c->n_handlers].name = xstrdup (name);
  return &c->handlers[c->n_handlers++];
}

/* One file decoded over the result so far.  */
static int
merge (struct crio *c, const char *full, size_t i, struct error **err)
{
  const struct toml_node *root = c->roots[i], *crio, *rt, *v, *hs;
  const char *path = json_string_value (json_array_get (c->paths, i));
  size_t k;

  crio = toml_child (root, "crio");
  rt = toml_child (crio, "runtime");
  if (check_spelling (root, (const char *const[]){ "crio", NULL }, full, err) < 0
      || check_spelling (crio, crio_fields, full, err) < 0
      || check_spelling (rt, runtime_fields, full, err) < 0)
    return -1;
  if ((v = toml_child (rt, "default_runtime")))
    {
      if (v->type != TOML_STRING)
        return make_error (err, 0, "%s: default_runtime is not a string", full);
      free (c->default_runtime);
      c->default_runtime = xstrdup (v->str[0] ? v->str : "runc");
    }
  if ((v = toml_child (rt, "hooks_dir")))
    {
      if (v->type != TOML_ARRAY)
        return make_error (err, 0, "%s: line %zu: `hooks_dir` is not an array of strings", full,
                           v->line);
      json_array_clear (c->hooks_dir);
      for (k = 0; k < v->n_items; k++)
        {
          if (v->items[k]->type != TOML_STRING)
            return make_error (err, 0, "%s: line %zu: `hooks_dir` is not an array of strings", full,
                               v->line);
          json_array_append_new (c->hooks_dir, json_string (v->items[k]->str));
        }
    }
  hs = toml_child (rt, "runtimes");
  if (hs && hs->type != TOML_TABLE)
    return make_error (err, 0, "%s: crio.runtime.runtimes is not a table", full);
  for (k = 0; hs && k < hs->n_items; k++)
    {
      const struct toml_node *h = hs->items[k];
      struct handler *hd;
      cleanup_free char *where = NULL;
      xasprintf (&where, "%s: handler `%s`", full, h->key);
      if (h->type != TOML_TABLE)
        return make_error (err, 0, "%s is not a table", where);
      if (check_spelling (h, handler_fields, where, err) < 0)
        return -1;
      hd = handler_named (c, h->key);
      hd->table = h;
      hd->text = c->texts[i];
      free (hd->file);
      hd->file = xstrdup (path);
    }
  return 0;
}

/* The files as CRI-O reads them; without capguard's drop-in when
   NODE_ONLY (what the node itself says, which install copies from).  */
static int
load (const struct engine_node *node, struct files *f, struct crio *c, bool node_only,
      struct error **err)
{
  json_auto_t *dropins = NULL;
  json_t *v;
  size_t i;

  c->paths = json_array ();
  c->hooks_dir = json_pack ("[s]", HOOKS_DEFAULT);
  c->default_runtime = xstrdup ("runc");
  handler_named (c, "runc");
  if (config_path (node)[0] != '/')
    return make_error (err, 0, "--config `%s` is not an absolute path", config_path (node));
  if (files_list (f, DROPINS, true, NULL, &dropins, err) < 0)
    return -1;
  json_array_append_new (c->paths, json_string (config_path (node)));
  json_array_foreach (dropins, i, v)
    if (!node_only || strcmp (json_string_value (v), CAPGUARD_DROPIN) != 0)
      json_array_append (c->paths, v);
  c->roots = xmalloc0 (sizeof *c->roots * (json_array_size (c->paths) + 1));
  c->texts = xmalloc0 (sizeof *c->texts * (json_array_size (c->paths) + 1));
  json_array_foreach (c->paths, i, v)
    {
      cleanup_free char *full = NULL;
      struct toml_node *root = NULL;
      const char *text;
      xasprintf (&full, "%s%s", files_root (f), json_string_value (v));
      if (engine_read_toml (f, json_string_value (v), &root, &text, err) < 0)
        return -1;
      c->roots[c->n] = root;
      c->texts[c->n] = text;
      c->n++;
      if (root && merge (c, full, c->n - 1, err) < 0)
        return -1;
    }
  return 0;
}

static const char *
handler_string (const struct handler *h, const char *key)
{
  const struct toml_node *v = h->table ? toml_child (h->table, key) : NULL;

  return v && v->type == TOML_STRING ? v->str : NULL;
}

static int
model (const struct engine_node *node, struct files *f, struct engine_model *m, struct error **err)
{
  struct crio *c = xmalloc0 (sizeof *c);
  size_t i;

  m->priv = c;
  m->priv_free = crio_free;
  if (load (node, f, c, false, err) < 0)
    return -1;
  xasprintf (&m->source, "%s%s and %s%s/ (every file, in CRI-O's order)", files_root (f),
             config_path (node), files_root (f), DROPINS);
  m->files = json_deep_copy (c->paths);
  for (i = 0; i < c->n_handlers; i++)
    {
      const struct handler *h = &c->handlers[i];
      const char *type = h->table ? handler_string (h, "runtime_type") : "oci";
      const char *path = handler_string (h, "runtime_path");
      cleanup_free char *label = NULL;
      struct engine_way *w;

      xasprintf (&label, "handler `%s`", h->name);
      w = engine_model_add (m, h->name, label);
      w->is_default = strcmp (h->name, c->default_runtime) == 0;
      w->file = h->file ? xstrdup (h->file) : NULL;
      if (type && strcmp (type, "vm") == 0)
        {
          w->why = xstrdup ("runtime_type `vm` runs a containerd shim, not an OCI runtime with "
                            "runc's command line");
          continue;
        }
      if (path && path[0])
        w->runs = xstrdup (path);
      else if ((w->runs = engine_find_binary (f, h->name)) == NULL)
        {
          w->broken = true;
          xasprintf (&w->why, "no runtime_path, and no `%s` on CRI-O's PATH: CRI-O drops it%s",
                     h->name, w->is_default ? " (and, being the default, does not start)" : "");
        }
    }
  /* The refusal hooks: in a directory CRI-O reads.  */
  {
    json_t *d;
    bool hooks = false;
    json_array_foreach (c->hooks_dir, i, d)
      {
        cleanup_free char *p = NULL;
        xasprintf (&p, "%s/capguard-createRuntime.json", json_string_value (d));
        hooks = hooks || files_exists (f, p);
      }
    if (json_array_size (c->hooks_dir) == 0)
      engine_model_extra (m, "gap", "refuse: createRuntime and poststart hooks",
                          "CRI-O runs no hooks (hooks_dir is empty): the wrapper still refuses at "
                          "create, but nothing checks a container's live sets after it starts",
                          "no registration closes it: give CRI-O a hooks_dir, then run capguard "
                          "install crio again");
    else
      engine_model_extra (m, hooks ? "covered" : "gap", "refuse: createRuntime and poststart hooks",
                          hooks ? "in CRI-O's hooks_dir"
                                : "not in any directory of CRI-O's hooks_dir",
                          hooks ? NULL : "capguard install crio");
  }
  /* The socket, for the restart check: crio.api.listen.  */
  {
    const char *const listen[] = { "crio", "api", "listen" };
    const char *sock = NULL;
    for (i = 0; i < c->n; i++)
      if (c->roots[i])
        {
          const char *s = toml_get_string (c->roots[i], listen, 3, NULL);
          sock = s && s[0] == '/' ? s : sock;
        }
    m->socket = xstrdup (sock ? sock : SOCKET);
  }
  return 0;
}

/* The handler H as a table of capguard's drop-in, every key as its file
   writes it, runtime_path the wrapper.  */
static void
copy_handler (char **out, const struct handler *h, const char *wrapper)
{
  cleanup_free char *name = toml_quote_key (h->name), *path = toml_quote (wrapper);
  size_t i;

  util_append (out, "", "\n[crio.runtime.runtimes.%s]\nruntime_path = %s\n", name, path);
  if (h->table == NULL)
    {
      util_append (out, "", "%s", BUILTIN_RUNC);
      return;
    }
  for (i = 0; i < h->table->n_items; i++)
    {
      const struct toml_node *v = h->table->items[i];
      cleanup_free char *key = toml_quote_key (v->key);
      if (strcmp (v->key, "runtime_path") == 0)
        continue;
      if (v->type == TOML_TABLE)
        {
          /* A sub-table (platform_runtime_paths): its keys, dotted.  */
          size_t j;
          for (j = 0; j < v->n_items; j++)
            {
              cleanup_free char *sub = toml_quote_key (v->items[j]->key);
              if (v->items[j]->value.end > v->items[j]->value.start)
                util_append (out, "", "%s.%s = %.*s\n", key, sub,
                             (int)(v->items[j]->value.end - v->items[j]->value.start),
                             h->text + v->items[j]->value.start);
            }
          continue;
        }
      util_append (out, "", "%s = %.*s\n", key, (int)(v->value.end - v->value.start),
                   h->text + v->value.start);
    }
}

/* What a handler of the node runs: its runtime_path, else its name on
   CRI-O's PATH; NULL when it runs no OCI runtime (or nothing).  */
static char *
runs_of (struct files *f, const struct handler *h)
{
  const char *type = h->table ? handler_string (h, "runtime_type") : "oci";
  const char *path = handler_string (h, "runtime_path");

  if (type && strcmp (type, "vm") == 0)
    return NULL;
  if (path && path[0])
    return xstrdup (path);
  return engine_find_binary (f, h->name);
}

char *
engine_crio_defaults (const struct policy *policy)
{
  char *out;
  int cap;

  /* CRI-O grants default_capabilities to every container: a ceiling below
     them would make the hook refuse everything, and a denied one in them
     would refuse every container, so CRI-O is told to start from the
     ceiling less the deny list.  */
  xasprintf (&out,
             "# capguard: CRI-O's default capabilities, the ceiling of %s less its deny list\n"
             "# (`capguard crio-conf`).  A drop-in of the node's that sorts after this one wins.\n"
             "[crio.runtime]\ndefault_capabilities = [\n",
             policy->source);
  for (cap = 0; cap < CAPSET_MAX_BITS; cap++)
    if (capset_has (policy->defaults.allow & ~policy->defaults.deny, cap) && capset_name (cap))
      util_append (&out, "", "  \"%s\",\n", capset_name (cap) + 4);
  util_append (&out, "", "]\n");
  return out;
}

static int
install (const struct engine_node *node, const struct engine_model *m, struct files *f,
         struct error **err)
{
  const struct crio *c = m->priv;
  cleanup_free char *dropin
      = xstrdup ("# capguard: each CRI-O handler that runs an OCI runtime runs capguard's runtime "
                 "wrapper in front\n# of that runtime.  CRI-O replaces a handler a drop-in names, "
                 "so each is copied whole from\n# the file CRI-O takes it from, runtime_path "
                 "changed.  This file sorts last, so it is read last.\n# `capguard uninstall "
                 "crio` removes it; run `capguard install crio` again after changing a handler.\n");
  cleanup_free char *defaults = NULL;
  struct crio *own = xmalloc0 (sizeof *own);
  bool any = false;
  size_t i;
  int ret = -1;

  /* Copied from what the node says, not from capguard's own earlier copy.  */
  if (load (node, f, own, true, err) < 0)
    goto done;
  for (i = 0; i < own->n_handlers; i++)
    {
      const struct handler *h = &own->handlers[i];
      cleanup_free char *runs = runs_of (f, h), *target = NULL, *wrapper = NULL;

      if (runs == NULL)
        continue;
      target = engine_wrapper_target (runs);
      wrapper = target ? xstrdup (runs) : engine_wrapper_for (node->wrapper_dir, runs);
      if (wrapper == NULL)
        {
          make_error (err, 0,
                      "%s%s: handler `%s` runs `%s`: give runtime_path as an absolute "
                      "path, then run install again",
                      files_root (f), h->file ? h->file : CONFIG, h->name, runs);
          goto done;
        }
      copy_handler (&dropin, h, wrapper);
      engine_plan_wrapper (node, f, wrapper);
      any = true;
    }
  if (any)
    files_put (f, CAPGUARD_DROPIN, dropin, false);
  else
    files_remove (f, CAPGUARD_DROPIN);
  files_remove (f, OLD_RUNTIME_DROPIN);
  if (node->policy)
    {
      defaults = engine_crio_defaults (node->policy);
      files_put (f, CAPGUARD_DEFAULTS, defaults, false);
    }
  /* CRI-O runs no hooks with an empty hooks_dir: status says so.  */
  if (json_array_size (c->hooks_dir) > 0)
    {
      const char *first = json_string_value (json_array_get (c->hooks_dir, 0));
      cleanup_free char *a = NULL, *b = NULL;
      cleanup_free char *create = engine_hook_json (node->binary, "createRuntime");
      cleanup_free char *post = engine_hook_json (node->binary, "poststart");
      xasprintf (&a, "%s/capguard-createRuntime.json", first);
      xasprintf (&b, "%s/capguard-poststart.json", first);
      files_put (f, a, create, false);
      files_put (f, b, post, false);
    }
  ret = 0;
done:
  crio_free (own);
  return ret;
}

static int
uninstall (const struct engine_node *node, const struct engine_model *m, struct files *f,
           struct error **err)
{
  const struct crio *c = m->priv;
  json_auto_t *dirs = json_deep_copy (c->hooks_dir);
  json_t *d;
  size_t i;

  (void)node;
  (void)err;
  files_remove (f, CAPGUARD_DROPIN);
  files_remove (f, CAPGUARD_DEFAULTS);
  files_remove (f, OLD_RUNTIME_DROPIN);
  /* Wherever an install put them: the node's list may have changed.  */
  json_array_append_new (dirs, json_string ("/etc/containers/oci/hooks.d"));
  json_array_append_new (dirs, json_string (HOOKS_DEFAULT));
  json_array_foreach (dirs, i, d)
    {
      cleanup_free char *a = NULL, *b = NULL;
      xasprintf (&a, "%s/capguard-createRuntime.json", json_string_value (d));
      xasprintf (&b, "%s/capguard-poststart.json", json_string_value (d));
      files_remove (f, a);
      files_remove (f, b);
    }
  return 0;
}

const struct engine_ops engine_crio = {
  .name = "crio",
  .takes_config = false,
  .found = found,
  .model = model,
  .install = install,
  .uninstall = uninstall,
  .restart = "systemctl restart crio",
  .fix = fix,
};
