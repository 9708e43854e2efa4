/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_ENGINE_H
#define CAPGUARD_ENGINE_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "error.h"
#include "policy.h"

/* The engines capguard registers with, one module each (engine_*.c), on
   crun's custom-handler model: a table of operations that `install`,
   `uninstall` and `status` share.  Both commands see an engine through one
   model, read with the engine's own semantics: every way it starts a
   process in a container (a CRI handler, a runtime name), and the binary
   each one runs.  install makes each way that runs an OCI runtime with
   runc's command line run capguard's wrapper in front of that same binary,
   and then reads the model again from what it would write: a way still
   not covered fails the install, naming it.  status judges the same ways.
   So the gap status names is the one install closes.

   Paths are on the node; ROOT ("" for /) is where the node's / is seen.  */

/* A view of the node's files through the changes install plans: what is
   read is what would be there after them.  */
struct files;

struct files *files_new (const char *root);
void files_free (struct files *f);
static inline void
files_freep (struct files **f)
{
  files_free (*f);
}
#define cleanup_files __attribute__ ((cleanup (files_freep)))

const char *files_root (const struct files *f);
/* The text of PATH (on the node) as it would be, or NULL when there is no
   such file; owned by F.  A file that cannot be read is an error.  */
int files_read (struct files *f, const char *path, const char **text, struct error **err);
/* Plans PATH's new TEXT; BACKUP keeps the file as it was beside it, as
   PATH.capguard-backup, the first time only.  */
void files_put (struct files *f, const char *path, const char *text, bool backup);
void files_remove (struct files *f, const char *path);
/* Plans a symbolic link at PATH to TARGET (directories made as needed).  */
void files_link (struct files *f, const char *path, const char *target);
/* The names in directory DIR as they would be, sorted; recursive
   (directories walked in place, as Go's filepath.Walk) or not; PATTERN
   (fnmatch) filters the file names.  A directory that is not there is
   empty.  */
int files_list (struct files *f, const char *dir, bool recursive, const char *pattern, json_t **out,
                struct error **err);
/* Whether anything is planned.  */
bool files_changed (const struct files *f);
/* Writes what is planned, each file atomically and only when it changes,
   saying so on OUT ("wrote", "unchanged", "removed"); DRY_RUN says what it
   would write instead.  Returns how many files changed (or would).  */
int files_commit (struct files *f, bool dry_run, FILE *out, struct error **err);
/* Whether PATH (on the node) exists, without following a last link.  */
bool files_exists (struct files *f, const char *path);

#define FILES_BACKUP_SUFFIX ".capguard-backup"

/* One way an engine starts a process in a container.  */
struct engine_way
{
  char *name;  /* the engine's name for it ("runc", "nvidia") */
  char *label; /* for people: "CRI handler `nvidia`" */
  char *runs;  /* the OCI runtime it executes with runc's command line (a path, or a name
                  looked up on PATH), or NULL when it runs no such runtime */
  char *why;   /* when RUNS is NULL, why not (a shim of its own, a broken handler) */
  char *file;  /* the file that says what it runs (NULL: the engine's default) */
  bool is_default;
  bool broken; /* the engine cannot start anything through it (say why): not a path */
};

/* What both commands know of one engine on the node.  */
struct engine_model
{
  struct engine_way *ways;
  size_t n_ways;
  char *source;  /* what was read, for people */
  char *socket;  /* the daemon's socket on the node, or NULL: the restart check */
  json_t *files; /* the configuration files read, on the node (the restart check) */
  json_t *extra; /* [{path, state, detail, fix}]: the engine's other paths (hooks, residual) */
  void *priv;    /* the module's own */
  void (*priv_free) (void *);
};

void engine_model_release (struct engine_model *m);
struct engine_way *engine_model_add (struct engine_model *m, const char *name, const char *label);
/* An extra path of the model: STATE "covered", "gap" or "residual".  */
void engine_model_extra (struct engine_model *m, const char *state, const char *path,
                         const char *detail, const char *fix);

/* What an engine module is given.  */
struct engine_node
{
  const char *root;   /* "" for / */
  const char *config; /* --config FILE (on the node), or NULL: the engine's own */
  const struct policy *policy;
  const char *binary;      /* capguard on the node */
  const char *wrapper_dir; /* the directory holding it: the wrappers go there */
  bool use_engine;         /* status: ask the engine itself where it can (containerd config dump) */
  FILE *out;               /* install and uninstall: notes for the operator */
};

struct engine_ops
{
  const char *name;
  bool takes_config; /* whether --config FILE names its file */
  /* Whether the engine is on the node (its binary or its configuration).  */
  bool (*found) (const struct engine_node *node, struct files *f);
  /* The model, from the files as F shows them.  */
  int (*model) (const struct engine_node *node, struct files *f, struct engine_model *m,
                struct error **err);
  /* Plans the registration into F for the ways of M; prints nothing.  */
  int (*install) (const struct engine_node *node, const struct engine_model *m, struct files *f,
                  struct error **err);
  /* Plans the removal of what install wrote.  */
  int (*uninstall) (const struct engine_node *node, const struct engine_model *m, struct files *f,
                    struct error **err);
  /* How to make the engine read its files again (restart).  */
  const char *restart;
  /* The command that closes a gap of this engine (with NODE's --config).  */
  char *(*fix) (const struct engine_node *node);
};

extern const struct engine_ops engine_podman, engine_crio, engine_containerd, engine_docker;

/* Every engine, in the order status lists them; NULL-terminated.  */
extern const struct engine_ops *const engines[];
#define ENGINES_NAMES_TEXT "podman, crio, containerd or docker"

/* The engine called NAME, or NULL.  */
const struct engine_ops *engines_by_name (const char *name);

/* The wrappers.  An engine that ran runtime R now runs the wrapper for R,
   a link to capguard whose own name says what it runs:
   DIR/capguard-runtime for runc on PATH, DIR/capguard-runtime.d/NAME for
   another name on PATH, DIR/capguard-runtime.d/usr/bin/crun for
   /usr/bin/crun.  */
#define ENGINE_WRAPPER "capguard-runtime"
#define ENGINE_WRAPPER_DIR "capguard-runtime.d"

/* The wrapper in DIR for RUNS (NULL or "" for runc on PATH); NULL when
   RUNS cannot be named so (a binary at the top of /).  */
char *engine_wrapper_for (const char *dir, const char *runs);
/* What the wrapper PATH runs ("runc" for DIR/capguard-runtime), or NULL
   when PATH is not one of capguard's wrappers.  */
char *engine_wrapper_target (const char *path);
/* Plans the link for WRAPPER (a path engine_wrapper_for made) to the
   binary.  */
void engine_plan_wrapper (const struct engine_node *node, struct files *f, const char *wrapper);

/* Reads the engine's TOML file PATH as F shows it: *ROOT NULL when there
   is none.  */
struct toml_node;
int engine_read_toml (struct files *f, const char *path, struct toml_node **root, const char **text,
                      struct error **err);

/* PATH's NAME looked up in the node's usual binary directories, as a
   daemon's PATH would find it: the path on the node, or NULL.  */
char *engine_find_binary (struct files *f, const char *name);

/* ENGINE's registration for NODE (install, or with UNINSTALL its
   removal), planned, read back through the engine's model, then written
   (DRY_RUN: printed); says on OUT what it wrote, what each way runs now
   and what to restart.  */
int engine_register (const struct engine_ops *e, const struct engine_node *node, bool uninstall,
                     bool dry_run, FILE *out, struct error **err);

/* The paths of ENGINE on NODE, judged, appended to PATHS as status shows
   them ([{path, state, detail, fix, closable}]); *SOURCE what was read.  */
int engine_status (const struct engine_ops *e, const struct engine_node *node, json_t *paths,
                   char **source, struct error **err);

/* CRI-O's drop-in with default_capabilities set to POLICY's top-level
   ceiling less its deny list (`capguard crio-conf`).  */
char *engine_crio_defaults (const struct policy *policy);

/* A hooks.d file for capguard at BINARY, STAGE.  */
char *engine_hook_json (const char *binary, const char *stage);

#endif
