/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_ENGINES_H
#define CAPGUARD_ENGINES_H

#include <stdbool.h>

#include <jansson.h>

#include "error.h"
#include "tomledit.h"

/* What capguard knows of each engine's configuration files: where they
   are, in which order the engine reads them, and the tables capguard
   reads.  install writes them, status reads them.  Paths are on the node;
   ROOT ("" for /) is where the node's / is mounted.  */

#define ENGINES_PODMAN_HOOKS_DIR "/etc/containers/capguard/hooks.d"
#define ENGINES_OCI_HOOKS_DIR "/etc/containers/oci/hooks.d"
#define ENGINES_CONTAINERD_CONFIG "/etc/containerd/config.toml"
#define ENGINES_CONTAINERD_SOCKET "/run/containerd/containerd.sock"
#define ENGINES_DOCKER_CONFIG "/etc/docker/daemon.json"
#define ENGINES_DOCKER_SOCKET "/run/docker.sock"
#define ENGINES_CRIO_SOCKET "/run/crio/crio.sock"
#define ENGINES_CONTAINERS_CONF "/etc/containers/containers.conf"
#define ENGINES_CONTAINERS_CONF_D "/etc/containers/containers.conf.d"
#define ENGINES_PODMAN_DROPIN "/etc/containers/containers.conf.d/capguard-hooks.conf"
#define ENGINES_CRIO_CONF "/etc/crio/crio.conf"
#define ENGINES_CRIO_CONF_D "/etc/crio/crio.conf.d"

/* The engines capguard registers with, by the name install and status
   take.  */
enum engine
{
  ENGINE_PODMAN,
  ENGINE_CRIO,
  ENGINE_CONTAINERD,
  ENGINE_DOCKER,
};
#define ENGINE_COUNT (ENGINE_DOCKER + 1)

#define ENGINES_NAMES_TEXT "podman, crio, containerd or docker"

/* The engine called NAME, or -1.  */
int engines_by_name (const char *name);

extern const char *const engines_containers_engine[];    /* [engine] */
extern const char *const engines_podman_default_hooks[]; /* NULL-terminated */
extern const char *const engines_crio_runtime[];         /* [crio.runtime] */
extern const char *const engines_crio_default_hooks[];   /* NULL-terminated */
/* [plugins.<CRI plugin>.containerd.runtimes], 4 keys, config versions 2 and 3.  */
extern const char *const engines_containerd_v2_runtimes[];
extern const char *const engines_containerd_v3_runtimes[];

/* Reads PATH into *TEXT; *TEXT NULL when there is no such file.  */
int engines_read (const char *path, char **text, struct error **err);

/* S as a TOML basic string, quoted.  */
char *engines_toml_string (const char *s);

/* A TOML string value as written ("x" or 'x', no escapes), unquoted; NULL
   for anything else.  */
char *engines_unquote (const char *raw);

/* The texts of an engine's configuration files in the order it reads them
   (MAIN, then DROPINS' *.conf in name order), without capguard's own
   drop-ins unless WITH_OURS: an array of [path, text].  */
int engines_files (const char *root, const char *main_file, const char *dropins, bool with_ours,
                   json_t **files, struct error **err);

/* The last value of K in FILES: a string array (ARRAY), or the raw TOML
   value as a JSON string; NULL when no file sets it.  */
int engines_setting (json_t *files, const struct tomledit_key *k, bool array, json_t **value,
                     struct error **err);

/* The hooks directories an engine reads: the last `hooks_dir` in TABLE of
   its configuration files, else DEFAULTS.  */
int engines_hooks_dirs (const char *root, const char *main_file, const char *dropins,
                        const char *const *table, size_t depth, const char *const *defaults,
                        json_t **dirs, struct error **err);

/* podman's runtime: the configured `engine.runtime` in FILES, else what
   podman picks when none is set (crun when it is installed, else runc).  */
char *engines_podman_runtime (const char *root, json_t *files, struct error **err);

/* Every CRI handler a RuntimeClass can name in containerd's config TEXT:
   containerd's own `runc`, and each one the file defines under RUNTIMES
   (4 keys), in file order.  */
int engines_containerd_handlers (const char *text, const char *const *runtimes, json_t **handlers,
                                 struct error **err);

/* Whether a handler's runtime_type, as written (quoted), runs runc: only
   those shims exec BinaryName with runc's command line.  */
bool engines_runs_runc (const char *raw_type);

/* daemon.json parsed: an object whose `runtimes`, if any, is an object.  */
json_t *engines_load_daemon_json (const char *full, const char *text, struct error **err);

#endif
