/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "command.h"
#include "engines.h"
#include "modes.h"
#include "tomledit.h"
#include "util.h"

/* capguard status: is this node protected?  For each engine found under
   the root, every path that starts a process in a container, and whether
   capguard stands in it: a `covered` path, a `gap` (with what closes it),
   or a `residual` path that no registration can close and only root on
   the node can take (ctr without --runc-binary, `docker run --runtime
   runc`).  It reads files and runs capguard binaries it finds (`version`)
   and `containerd config dump`; it changes nothing.  */

struct status
{
  const char *root;              /* "" for / */
  const char *containerd_config; /* the engine's file, under root */
  const char *docker_config;
  unsigned only;   /* engines asked for (1 << enum engine), 0: all */
  json_t *engines; /* [{engine, config, paths: [{path, state, detail, fix}]}] */
  json_t *checked; /* wrapper path -> "" (runs) or why not */
  int gaps;
  int closable_gaps; /* those that install, a restart or the policy close */
};

static bool
want (const struct status *st, enum engine e)
{
  return st->only == 0 || (st->only & (1u << e));
}

static const char *const bin_dirs[]
    = { "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin", "/bin", "/sbin", NULL };

static bool
exists (struct status *st, const char *path)
{
  cleanup_free char *full = NULL;
  struct stat sb;

  xasprintf (&full, "%s%s", st->root, path);
  return lstat (full, &sb) == 0;
}

static bool
has_binary (struct status *st, const char *name)
{
  size_t i;

  for (i = 0; bin_dirs[i]; i++)
    {
      cleanup_free char *p = NULL;
      xasprintf (&p, "%s/%s", bin_dirs[i], name);
      if (exists (st, p))
        return true;
    }
  return false;
}

/* ARGV's standard output, or NULL when it cannot run or fails.  */
static char *
run_capture (char *const *argv)
{
  cleanup_error struct error *ignored = NULL;
  size_t len;

  return util_run_capture (argv, CAPGUARD_MAX_CONFIG, true, &len, &ignored);
}

/* Whether PATH (on the node) is a capguard that runs: NULL, or why not.
   The wrapper is a link to capguard, so its target is run as `capguard
   version`.  */
static const char *
capguard_at (struct status *st, const char *path)
{
  cleanup_free char *full = NULL, *real = NULL, *out = NULL;
  json_t *known = json_object_get (st->checked, path);
  const char *why = NULL;

  if (known)
    return json_string_length (known) ? json_string_value (known) : NULL;
  xasprintf (&full, "%s%s", st->root, path);
  real = realpath (full, NULL);
  if (real == NULL)
    why = "missing";
  else
    {
      char *argv[] = { real, (char *)"version", NULL };
      out = run_capture (argv);
      if (out == NULL || strncmp (out, "capguard ", 9) != 0)
        why = "not a capguard that runs";
    }
  json_object_set_new (st->checked, path, json_string (why ? why : ""));
  return why;
}

/* How the fix of a gap that capguard install cannot close begins: the
   node's configuration has a way in the registration does not stand in
   (a handler or runtime of another kind), which the operator removes.  */
#define NO_REGISTRATION "no registration closes it: "

static void
add_path (struct status *st, json_t *paths, const char *state, const char *path, const char *detail,
          const char *fix)
{
  bool gap = strcmp (state, "gap") == 0;
  bool closable = gap && !(fix && strncmp (fix, NO_REGISTRATION, strlen (NO_REGISTRATION)) == 0);
  json_t *p = json_pack ("{s:s, s:s, s:s, s:s?}", "path", path, "state", state, "detail", detail,
                         "fix", gap ? fix : NULL);

  if (gap)
    json_object_set_new (p, "closable", json_boolean (closable));
  json_array_append_new (paths, p);
  if (gap)
    st->gaps++;
  if (closable)
    st->closable_gaps++;
}

/* Whether the daemon listening on SOCKET (a path on the node) started
   before CONFIG (a full path) last changed: a daemon creates its socket
   when it starts, so a configuration written after that is not the one in
   force until it restarts.  False when either is missing (a daemon that is
   not running reads the file when it starts).  */
static bool
changed_since_start (struct status *st, const char *config, const char *socket)
{
  cleanup_free char *full = NULL;
  struct stat c, k;

  /* /var/run is a link to /run on every current distribution, and an
     absolute link would leave the root given by --root.  */
  if (strncmp (socket, "/var/run/", 9) == 0)
    socket += 4;
  xasprintf (&full, "%s%s", st->root, socket);
  if (stat (config, &c) < 0 || lstat (full, &k) < 0 || !S_ISSOCK (k.st_mode))
    return false;
  return c.st_mtim.tv_sec > k.st_mtim.tv_sec
         || (c.st_mtim.tv_sec == k.st_mtim.tv_sec && c.st_mtim.tv_nsec > k.st_mtim.tv_nsec);
}

/* A daemon's socket: the TOML string RAW when it is an absolute path,
   else DEFAULT_PATH.  */
static char *
socket_path (const char *raw, const char *default_path)
{
  char *sock = raw ? engines_unquote (raw) : NULL;

  if (sock == NULL || sock[0] != '/')
    {
      free (sock);
      sock = xstrdup (default_path);
    }
  return sock;
}

/* The gap of a daemon (ENGINE, restarted by FIX) that listens on SOCKET
   and started before its file CONFIG (a full path; SHOWN on the node)
   changed; returns whether it did.  */
static bool
restart_gap (struct status *st, json_t *paths, const char *engine, const char *config,
             const char *shown, const char *socket, const char *fix)
{
  cleanup_free char *detail = NULL;

  if (!changed_since_start (st, config, socket))
    return false;
  xasprintf (&detail,
             "%s changed after the running %s started (its socket %s is older): what the file "
             "says is not in force until %s restarts",
             shown, engine, socket, engine);
  add_path (st, paths, "gap", "the configuration in force", detail, fix);
  return true;
}

/* A path whose runtime is WRAPPER (a path on the node, or NULL when none
   is set): covered when it is a capguard that runs.  */
static void
add_wrapped (struct status *st, json_t *paths, const char *path, const char *what,
             const char *wrapper, const char *fix)
{
  cleanup_free char *detail = NULL;
  const char *why;

  if (wrapper == NULL || strstr (wrapper, "capguard") == NULL)
    {
      xasprintf (&detail, "%s is %s, not capguard's wrapper", what, wrapper ? wrapper : "unset");
      add_path (st, paths, "gap", path, detail, fix);
      return;
    }
  why = capguard_at (st, wrapper);
  xasprintf (&detail, "%s = %s%s%s", what, wrapper, why ? ": " : "", why ? why : "");
  add_path (st, paths, why ? "gap" : "covered", path, detail, fix);
}

static json_t *
engine (struct status *st, const char *name, const char *config)
{
  json_t *e = json_pack ("{s:s, s:s, s:[]}", "engine", name, "config", config, "paths");

  json_array_append_new (st->engines, e);
  return json_object_get (e, "paths");
}

/* containerd: every CRI handler, from `containerd config dump` when the
   binary runs (that is the configuration in force, imports included),
   else from config.toml.  */
static int
status_containerd (struct status *st, struct error **err)
{
  cleanup_free char *full = NULL, *text = NULL, *version = NULL, *containerd = NULL, *fix = NULL;
  cleanup_free char *dump_source = NULL;
  const char *const *runtimes;
  json_auto_t *handlers = NULL;
  const char *source;
  json_t *paths, *v;
  size_t i;

  if (!exists (st, st->containerd_config) && !has_binary (st, "containerd"))
    return 0;
  xasprintf (&full, "%s%s", st->root, st->containerd_config);
  if (strcmp (st->containerd_config, ENGINES_CONTAINERD_CONFIG) != 0)
    xasprintf (&fix, "capguard install containerd --config %s", st->containerd_config);
  else
    fix = xstrdup ("capguard install containerd");
  for (i = 0; bin_dirs[i] && text == NULL; i++)
    {
      free (containerd);
      xasprintf (&containerd, "%s/containerd", bin_dirs[i]);
      if (access (containerd, X_OK) == 0)
        {
          char *argv[] = { containerd,
                           (char *)"--config",
                           access (full, R_OK) == 0 ? full : (char *)"/dev/null",
                           (char *)"config",
                           (char *)"dump",
                           NULL };
          text = run_capture (argv);
        }
    }
  xasprintf (&dump_source, "containerd config dump of %s", st->containerd_config);
  source = dump_source;
  if (text == NULL)
    {
      if (engines_read (full, &text, err) < 0)
        return -1;
      source = full;
    }
  paths = engine (st, "containerd", source);
  if (text == NULL)
    text = xstrdup ("");
  version = tomledit_top_value (text, "version", err);
  if (version == NULL && *err)
    return error_wrap (err, "%s", source);
  runtimes = version && strcmp (version, "3") == 0 ? engines_containerd_v3_runtimes
                                                   : engines_containerd_v2_runtimes;
  if (engines_containerd_handlers (text, runtimes, &handlers, err) < 0)
    return error_wrap (err, "%s", source);
  json_array_foreach (handlers, i, v)
    {
      const char *name = json_string_value (v);
      const char *table[6]
          = { runtimes[0], runtimes[1], runtimes[2], runtimes[3], name, "options" };
      struct tomledit_key bin = { .table = table, .depth = 6, .key = "BinaryName" };
      struct tomledit_key type = { .table = table, .depth = 5, .key = "runtime_type" };
      cleanup_free char *raw_bin = NULL, *raw_type = NULL, *binary = NULL, *path = NULL;
      bool has_table;

      if (tomledit_get (text, &type, &raw_type, &has_table, err) < 0
          || tomledit_get (text, &bin, &raw_bin, &has_table, err) < 0)
        return error_wrap (err, "%s", source);
      xasprintf (&path, "CRI handler `%s` (create, exec, restore)", name);
      if (raw_type && !engines_runs_runc (raw_type))
        {
          cleanup_free char *detail = NULL;
          xasprintf (&detail, "runtime_type %s does not run runc", raw_type);
          add_path (st, paths, "gap", path, detail,
                    NO_REGISTRATION "keep RuntimeClasses off this handler, or remove it");
          continue;
        }
      binary = engines_unquote (raw_bin);
      add_wrapped (st, paths, path, "BinaryName", binary && binary[0] ? binary : NULL, fix);
    }
  /* The file read is what containerd reads when it starts: a running one
     that started before the file changed still has the old handlers.  */
  {
    static const char *const grpc[] = { "grpc" };
    struct tomledit_key address = { .table = grpc, .depth = 1, .key = "address" };
    cleanup_free char *raw = NULL, *sock = NULL;
    bool has_table;

    if (tomledit_get (text, &address, &raw, &has_table, err) < 0)
      return error_wrap (err, "%s", source);
    sock = socket_path (raw, ENGINES_CONTAINERD_SOCKET);
    restart_gap (st, paths, "containerd", full, st->containerd_config, sock,
                 "systemctl restart containerd");
  }
  add_path (st, paths, "residual", "`ctr run` without --runc-binary",
            "containerd's own runc, outside CRI: only root on the node can start it", NULL);
  return 0;
}

static int
status_docker (struct status *st, struct error **err)
{
  cleanup_free char *full = NULL, *text = NULL, *fix = NULL;
  json_auto_t *doc = NULL;
  json_t *paths, *runtimes, *v;
  const char *def, *name;

  if (!exists (st, st->docker_config) && !has_binary (st, "dockerd"))
    return 0;
  xasprintf (&full, "%s%s", st->root, st->docker_config);
  if (strcmp (st->docker_config, ENGINES_DOCKER_CONFIG) != 0)
    xasprintf (&fix, "capguard install docker --config %s", st->docker_config);
  else
    fix = xstrdup ("capguard install docker");
  if (engines_read (full, &text, err) < 0)
    return -1;
  doc = text ? engines_load_daemon_json (full, text, err) : json_object ();
  if (doc == NULL)
    return -1;
  paths = engine (st, "docker", full);
  runtimes = json_object_get (doc, "runtimes");
  def = json_string_value (json_object_get (doc, "default-runtime"));
  if (def == NULL || strcmp (def, "capguard") != 0)
    {
      cleanup_free char *detail = NULL;
      xasprintf (&detail, "default-runtime is %s", def ? def : "runc (unset)");
      add_path (st, paths, "gap", "default runtime (create, exec, restore)", detail, fix);
    }
  else
    add_wrapped (
        st, paths, "default runtime (create, exec, restore)", "runtimes.capguard.path",
        json_string_value (json_object_get (json_object_get (runtimes, "capguard"), "path")), fix);
  /* daemon.json's first unix:// host, else Docker's default socket.  */
  {
    const char *sock = ENGINES_DOCKER_SOCKET;
    json_t *host;
    size_t i;

    json_array_foreach (json_object_get (doc, "hosts"), i, host)
      if (json_is_string (host) && strncmp (json_string_value (host), "unix:///", 8) == 0)
        {
          sock = json_string_value (host) + 7;
          break;
        }
    restart_gap (st, paths, "dockerd", full, st->docker_config, sock, "systemctl restart docker");
  }
  json_object_foreach (runtimes, name, v)
    {
      cleanup_free char *path = NULL;
      if (strcmp (name, "capguard") == 0)
        continue;
      xasprintf (&path, "`docker run --runtime %s`", name);
      add_path (st, paths, "gap", path, "a runtime of daemon.json that is not capguard's",
                NO_REGISTRATION "remove it from daemon.json");
    }
  add_path (st, paths, "residual", "`docker run --runtime runc`",
            "Docker reserves the name runc: capguard cannot take it", NULL);
  return 0;
}

/* podman: create through the precreate hook (a hooks_dir podman reads,
   holding capguard's file naming a capguard that runs) and through the
   runtime; exec and restore through the runtime only.  */
static int
status_podman (struct status *st, struct error **err)
{
  struct tomledit_key hk = { .table = engines_containers_engine, .depth = 1, .key = "hooks_dir" };
  struct tomledit_key rk = { .table = engines_containers_engine, .depth = 1, .key = "runtime" };
  const char *const table[] = { "engine", "runtimes" };
  struct tomledit_key wk = { .table = table, .depth = 2, .key = "capguard" };
  cleanup_free char *runtime = NULL, *hook_file = NULL, *hook_text = NULL;
  json_auto_t *files = NULL, *dirs = NULL, *raw = NULL, *wrappers = NULL, *hook = NULL;
  json_t *paths;

  if (!has_binary (st, "podman") && !exists (st, ENGINES_CONTAINERS_CONF)
      && !exists (st, ENGINES_CONTAINERS_CONF_D))
    return 0;
  if (engines_files (st->root, ENGINES_CONTAINERS_CONF, ENGINES_CONTAINERS_CONF_D, true, &files,
                     err)
          < 0
      || engines_setting (files, &hk, true, &dirs, err) < 0
      || engines_setting (files, &rk, false, &raw, err) < 0
      || engines_setting (files, &wk, true, &wrappers, err) < 0)
    return -1;
  paths
      = engine (st, "podman", ENGINES_CONTAINERS_CONF " and " ENGINES_CONTAINERS_CONF_D "/*.conf");

  xasprintf (&hook_file, "%s" ENGINES_PODMAN_HOOKS_DIR "/capguard-precreate.json", st->root);
  if (engines_read (hook_file, &hook_text, err) < 0)
    return -1;
  hook = hook_text ? json_loads (hook_text, 0, NULL) : NULL;
  {
    json_t *d;
    size_t i;
    bool listed = false;
    json_array_foreach (dirs, i, d)
      listed = listed || strcmp (json_string_value (d), ENGINES_PODMAN_HOOKS_DIR) == 0;
    if (!listed || hook == NULL)
      add_path (st, paths, "gap", "create: the precreate hook",
                !listed ? "hooks_dir does not list " ENGINES_PODMAN_HOOKS_DIR
                        : "no capguard-precreate.json in " ENGINES_PODMAN_HOOKS_DIR,
                "capguard install podman");
    else
      add_wrapped (st, paths, "create: the precreate hook", "hook.path",
                   json_string_value (json_object_get (json_object_get (hook, "hook"), "path")),
                   "capguard install podman");
  }
  runtime = raw ? engines_unquote (json_string_value (raw)) : NULL;
  if (runtime == NULL || strcmp (runtime, "capguard") != 0)
    {
      cleanup_free char *detail = NULL;
      xasprintf (&detail, "podman's runtime is %s",
                 runtime ? runtime : "its default (crun or runc)");
      add_path (st, paths, "gap", "create, exec (--privileged included), restore: the runtime",
                detail, "capguard install podman");
    }
  else
    add_wrapped (st, paths, "create, exec (--privileged included), restore: the runtime",
                 "engine.runtimes.capguard", json_string_value (json_array_get (wrappers, 0)),
                 "capguard install podman");
  return 0;
}

/* CRI-O: its default handler, and every other handler a RuntimeClass can
   name; the refusal hooks in a directory of its hooks_dir.  */
static int
status_crio (struct status *st, struct error **err)
{
  struct tomledit_key dk = { .table = engines_crio_runtime, .depth = 2, .key = "default_runtime" };
  const char *const runtimes[] = { "crio", "runtime", "runtimes" };
  cleanup_free char *def = NULL;
  json_auto_t *files = NULL, *raw = NULL, *handlers = NULL, *dirs = NULL;
  json_t *paths, *f, *v;
  bool hooks = false;
  size_t i;

  if (!has_binary (st, "crio") && !exists (st, "/etc/crio"))
    return 0;
  if (engines_files (st->root, ENGINES_CRIO_CONF, ENGINES_CRIO_CONF_D, true, &files, err) < 0
      || engines_setting (files, &dk, false, &raw, err) < 0
      || engines_hooks_dirs (st->root, ENGINES_CRIO_CONF, ENGINES_CRIO_CONF_D, engines_crio_runtime,
                             2, engines_crio_default_hooks, &dirs, err)
             < 0)
    return -1;
  paths = engine (st, "crio", ENGINES_CRIO_CONF " and " ENGINES_CRIO_CONF_D "/*.conf");
  def = raw ? engines_unquote (json_string_value (raw)) : xstrdup ("runc");
  handlers = json_array ();
  json_array_append_new (handlers, json_string ("runc"));
  json_array_foreach (files, i, f)
    {
      json_auto_t *names = NULL;
      json_t *n;
      size_t j;
      if (tomledit_tables (json_string_value (json_array_get (f, 1)), runtimes, 3, &names, err) < 0)
        return error_wrap (err, "%s", json_string_value (json_array_get (f, 0)));
      json_array_foreach (names, j, n)
        {
          json_t *h;
          size_t k;
          bool seen = false;
          json_array_foreach (handlers, k, h)
            seen = seen || json_equal (h, n);
          if (!seen)
            json_array_append (handlers, n);
        }
    }
  json_array_foreach (handlers, i, v)
    {
      const char *name = json_string_value (v);
      const char *table[] = { "crio", "runtime", "runtimes", name };
      struct tomledit_key pk = { .table = table, .depth = 4, .key = "runtime_path" };
      cleanup_free char *path = NULL, *wrapper = NULL;
      json_auto_t *rp = NULL;

      if (engines_setting (files, &pk, false, &rp, err) < 0)
        return -1;
      wrapper = rp ? engines_unquote (json_string_value (rp)) : NULL;
      xasprintf (&path, "handler `%s`%s (create, exec, restore)", name,
                 def && strcmp (def, name) == 0 ? ", the default" : "");
      add_wrapped (st, paths, path, "runtime_path", wrapper,
                   def && strcmp (def, name) == 0 ? "capguard install crio"
                                                  : NO_REGISTRATION
                       "point its runtime_path at capguard-runtime, or "
                       "remove the handler");
    }
  json_array_foreach (dirs, i, v)
    {
      cleanup_free char *p = NULL;
      xasprintf (&p, "%s/capguard-createRuntime.json", json_string_value (v));
      hooks = hooks || exists (st, p);
    }
  add_path (st, paths, hooks ? "covered" : "gap", "refuse: createRuntime and poststart hooks",
            hooks ? "in CRI-O's hooks_dir" : "not in any directory of CRI-O's hooks_dir",
            hooks ? NULL : "capguard install crio");
  /* CRI-O watches its hooks directories, but reads crio.conf and its
     drop-ins when it starts.  */
  {
    const char *const api[] = { "crio", "api" };
    struct tomledit_key lk = { .table = api, .depth = 2, .key = "listen" };
    cleanup_free char *sock = NULL;
    json_auto_t *listen = NULL;

    if (engines_setting (files, &lk, false, &listen, err) < 0)
      return -1;
    sock = socket_path (listen ? json_string_value (listen) : NULL, ENGINES_CRIO_SOCKET);
    json_array_foreach (files, i, f)
      {
        const char *file = json_string_value (json_array_get (f, 0));
        if (restart_gap (st, paths, "crio", file, file + strlen (st->root), sock,
                         "systemctl restart crio"))
          break;
      }
  }
  return 0;
}

/* The policy in force: its file, owner and mode, whether it loads, and
   check's warning count.  */
static json_t *
policy_status (const struct policy *policy, const char *path, const char *load_error)
{
  json_t *p = json_object ();
  struct stat sb;

  json_object_set_new (p, "file", json_string (policy ? policy->source : path));
  if (policy && strcmp (policy->source, "<built-in>") != 0 && stat (policy->source, &sb) == 0)
    {
      char mode[8];
      snprintf (mode, sizeof mode, "%04o", (unsigned)(sb.st_mode & 07777));
      json_object_set_new (p, "owner", json_integer (sb.st_uid));
      json_object_set_new (p, "mode", json_string (mode));
    }
  json_object_set_new (p, "valid", json_boolean (policy != NULL));
  json_object_set_new (p, "error", load_error ? json_string (load_error) : json_null ());
  if (policy)
    {
      char *text = NULL;
      size_t size = 0;
      FILE *mem = open_memstream (&text, &size);
      int warnings = mem ? mode_check_warnings (policy, mem) : 0;
      if (mem)
        fclose (mem);
      free (text);
      json_object_set_new (p, "rules", json_integer ((json_int_t)policy->n_rules));
      json_object_set_new (p, "warnings", json_integer (warnings));
      json_object_set_new (
          p, "log",
          json_pack ("{s:b, s:s?}", "syslog", policy->log_syslog, "file", policy->log_file));
      json_object_set_new (
          p, "top_level",
          json_pack ("{s:s, s:s, s:s}", "action", policy_action_name (policy->defaults.action),
                     "privileged",
                     policy->defaults.privileged == POLICY_PRIVILEGED_REFUSE ? "refuse" : "keep",
                     "userNamespaces",
                     policy->defaults.user_namespaces == POLICY_USERNS_DENY ? "deny" : "keep"));
    }
  return p;
}

static int
exit_code (const struct status *st, bool ready)
{
  if (json_array_size (st->engines) == 0)
    return 1;
  return (ready ? st->closable_gaps : st->gaps) == 0 ? 0 : 1;
}

int
mode_status (const struct policy *policy, const char *policy_path, const char *load_error,
             const char *root, unsigned only, const char *containerd_config,
             const char *docker_config, bool ready, bool json, FILE *out, struct error **err)
{
  cleanup_free char *root_copy = xstrdup (root ? root : "/");
  json_auto_t *report = NULL, *checked = json_object ();
  struct status st
      = { .engines = json_array (),
          .checked = checked,
          .containerd_config = containerd_config ? containerd_config : ENGINES_CONTAINERD_CONFIG,
          .docker_config = docker_config ? docker_config : ENGINES_DOCKER_CONFIG };
  json_t *e, *pol;
  size_t i, j;

  while (strlen (root_copy) > 0 && root_copy[strlen (root_copy) - 1] == '/')
    root_copy[strlen (root_copy) - 1] = '\0';
  st.root = root_copy;
  report = json_pack ("{s:s, s:o, s:O}", "root", root ? root : "/", "policy",
                      policy_status (policy, policy_path, load_error), "engines", st.engines);
  json_decref (st.engines);
  st.only = only;
  if ((want (&st, ENGINE_CONTAINERD) && status_containerd (&st, err) < 0)
      || (want (&st, ENGINE_CRIO) && status_crio (&st, err) < 0)
      || (want (&st, ENGINE_DOCKER) && status_docker (&st, err) < 0)
      || (want (&st, ENGINE_PODMAN) && status_podman (&st, err) < 0))
    return -1;
  /* A policy that does not load fails every container start closed.  */
  if (policy == NULL)
    {
      st.gaps++;
      st.closable_gaps++;
    }
  json_object_set_new (report, "gaps", json_integer (st.gaps));
  /* What capguard's own registration, a restart and the policy can do is
     done: a DaemonSet's readiness (`--ready`), even on a node with a way in
     only its operator can remove.  */
  json_object_set_new (report, "ready",
                       json_boolean (st.closable_gaps == 0 && json_array_size (st.engines) > 0));
  json_object_set_new (report, "covered",
                       json_boolean (st.gaps == 0 && json_array_size (st.engines) > 0));

  if (json)
    {
      cleanup_free char *text = json_dumps (report, JSON_INDENT (2));
      fprintf (out, "%s\n", text);
      return exit_code (&st, ready);
    }
  pol = json_object_get (report, "policy");
  if (policy)
    fprintf (out, "policy       %s (%s%s%s), %zu rule%s, %d warning%s (capguard check)\n",
             strcmp (policy->source, "<built-in>") == 0 ? "the built-in policy" : policy->source,
             json_object_get (pol, "mode") ? "mode " : "nothing at /etc/capguard/policy.json",
             json_object_get (pol, "mode") ? json_string_value (json_object_get (pol, "mode")) : "",
             json_object_get (pol, "owner")
                     && json_integer_value (json_object_get (pol, "owner")) == 0
                 ? ", owner root"
                 : "",
             policy->n_rules, policy->n_rules == 1 ? "" : "s",
             (int)json_integer_value (json_object_get (pol, "warnings")),
             json_integer_value (json_object_get (pol, "warnings")) == 1 ? "" : "s");
  else
    fprintf (out, "policy       %s: INVALID: %s\n  fix: capguard check %s\n",
             policy_path ? policy_path : "/etc/capguard/policy.json", load_error,
             policy_path ? policy_path : "/etc/capguard/policy.json");
  if (policy)
    fprintf (out, "top level    action %s, privileged %s, userNamespaces %s\n",
             policy_action_name (policy->defaults.action),
             policy->defaults.privileged == POLICY_PRIVILEGED_REFUSE ? "refuse" : "keep",
             policy->defaults.user_namespaces == POLICY_USERNS_DENY ? "deny" : "keep");
  if (policy)
    fprintf (out, "decisions    %s%s%s\n", policy->log_syslog ? "syslog" : "no syslog",
             policy->log_file ? ", " : "", policy->log_file ? policy->log_file : "");
  if (json_array_size (st.engines) == 0)
    fprintf (out, "\nno engine found under %s\n", root ? root : "/");
  json_array_foreach (st.engines, i, e)
    {
      json_t *p;
      fprintf (out, "\n%s (%s)\n", json_string_value (json_object_get (e, "engine")),
               json_string_value (json_object_get (e, "config")));
      json_array_foreach (json_object_get (e, "paths"), j, p)
        {
          const char *state = json_string_value (json_object_get (p, "state"));
          const char *fix = json_string_value (json_object_get (p, "fix"));
          fprintf (out, "  %-9s %s: %s\n", strcmp (state, "gap") == 0 ? "GAP" : state,
                   json_string_value (json_object_get (p, "path")),
                   json_string_value (json_object_get (p, "detail")));
          if (fix && strcmp (state, "gap") == 0)
            fprintf (out, "            fix: %s\n", fix);
        }
    }
  fprintf (out, "\n%s\n",
           st.gaps                             ? "NOT PROTECTED: close the gaps above"
           : json_array_size (st.engines) == 0 ? "nothing to protect found"
                                               : "protected: every path is covered");
  return exit_code (&st, ready);
}

int
command_status (struct command_ctx *ctx, struct error **err)
{
  static const struct option options[] = {
    { "root", required_argument, NULL, 'r' },
    { "json", no_argument, NULL, 'j' },
    { "config", required_argument, NULL, 'c' },
    { "ready", no_argument, NULL, 'R' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_error struct error *load_err = NULL;
  const char *containerd_config = NULL, *docker_config = NULL;
  const char *root = NULL;
  struct policy *policy;
  unsigned only = 0;
  bool json = false, ready = false;
  int e;
  int c;

  while ((c = command_getopt (ctx, options, err)) != -1)
    switch (c)
      {
      case 'r':
        root = optarg;
        break;
      case 'j':
        json = true;
        break;
      case 'R':
        ready = true;
        break;
      case 'c':
        /* --config ENGINE=FILE: the engine's file where it is not the
           default one (k3s, RKE2, a second containerd), as install
           --config wrote it.  */
        if (strncmp (optarg, "containerd=/", strlen ("containerd=/")) == 0)
          containerd_config = optarg + strlen ("containerd=");
        else if (strncmp (optarg, "docker=/", strlen ("docker=/")) == 0)
          docker_config = optarg + strlen ("docker=");
        else
          return command_usage (err,
                                "status --config `%s`: want containerd=FILE or docker=FILE, "
                                "FILE an absolute path",
                                optarg);
        break;
      default:
        return COMMAND_USAGE;
      }
  if (root && root[0] != '/')
    return command_usage (err, "status --root `%s` is not an absolute path", root);
  /* status ENGINE...: only those engines (a DaemonSet's readiness probe
     asks about the engine it registered, not a podman someone installed
     for debugging).  */
  for (; optind < ctx->argc; optind++)
    {
      if ((e = engines_by_name (ctx->argv[optind])) < 0)
        return command_usage (err, "status: unknown engine `%s` (" ENGINES_NAMES_TEXT ")",
                              ctx->argv[optind]);
      only |= 1u << e;
    }
  /* A policy that does not load is part of the answer, not an error.  */
  policy = command_keep_policy (policy_load (ctx->policy_path, util_cap_last_cap (), 0, &load_err));
  return mode_status (policy, ctx->policy_path, load_err ? load_err->msg : NULL, root, only,
                      containerd_config, docker_config, ready, json, stdout, err);
}
