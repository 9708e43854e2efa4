/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>

#include "engine.h"
#include "util.h"

/* install and uninstall, for any engine of the table: the module plans
   its files, the plan is read back through the same model status uses,
   and only then written.  */

/* After install's plan: every way that runs an OCI runtime with runc's
   command line must now run capguard's wrapper.  */
static int
verify (const struct engine_ops *e, const struct engine_node *node, struct files *f,
        struct error **err)
{
  struct engine_model after = { 0 };
  size_t i;
  int ret = 0;

  if (e->model (node, f, &after, err) < 0)
    {
      engine_model_release (&after);
      return error_wrap (err, "reading %s's configuration as capguard would leave it", e->name);
    }
  for (i = 0; i < after.n_ways && ret == 0; i++)
    {
      const struct engine_way *w = &after.ways[i];
      cleanup_free char *target = w->runs ? engine_wrapper_target (w->runs) : NULL;
      if (w->runs && target == NULL)
        ret = make_error (err, 0,
                          "%s: %s would still run `%s`: %s%s sets it after capguard's "
                          "registration; nothing was changed",
                          e->name, w->label, w->runs, files_root (f), w->file ? w->file : "");
    }
  engine_model_release (&after);
  return ret;
}

/* What install says of each way: covered, or not and why.  */
static void
tell (const struct engine_model *m, FILE *out)
{
  size_t i;

  for (i = 0; i < m->n_ways; i++)
    {
      const struct engine_way *w = &m->ways[i];
      cleanup_free char *target = w->runs ? engine_wrapper_target (w->runs) : NULL;
      if (w->broken)
        fprintf (out, "inert:     %s (%s)\n", w->label, w->why);
      else if (w->runs == NULL)
        fprintf (out, "not covered: %s (%s)\n", w->label, w->why);
      else
        fprintf (out, "covered:   %s (runs %s behind capguard)\n", w->label,
                 target ? target : w->runs);
    }
  if (m->extra)
    {
      json_t *x;
      json_array_foreach (m->extra, i, x)
        if (strcmp (json_string_value (json_object_get (x, "state")), "covered") != 0)
          fprintf (out, "not covered: %s (%s)\n", json_string_value (json_object_get (x, "path")),
                   json_string_value (json_object_get (x, "detail")));
    }
}

int
engine_register (const struct engine_ops *e, const struct engine_node *node, bool uninstall,
                 bool dry_run, FILE *out, struct error **err)
{
  cleanup_files struct files *f = files_new (node->root);
  struct engine_model m = { 0 }, after = { 0 };
  int ret = -1, changed;

  if (e->model (node, f, &m, err) < 0)
    goto done;
  if (uninstall)
    {
      if (e->uninstall (node, &m, f, err) < 0)
        goto done;
    }
  else if (e->install (node, &m, f, err) < 0 || verify (e, node, f, err) < 0)
    goto done;
  if ((changed = files_commit (f, dry_run, out, err)) < 0)
    goto done;
  if (!uninstall)
    {
      /* What the engine will have, once it reads the files.  */
      if (e->model (node, f, &after, err) < 0)
        goto done;
      tell (&after, out);
    }
  if (e->restart == NULL)
    fprintf (out, "%s reads this on its next command: nothing to restart\n", e->name);
  else if (changed > 0)
    fprintf (out, "restart %s: %s\n", e->name, e->restart);
  else
    fprintf (out, "nothing changed: no restart needed\n");
  ret = 0;
done:
  engine_model_release (&m);
  engine_model_release (&after);
  return ret;
}
