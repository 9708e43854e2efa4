/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "toml.h"
#include "util.h"

const struct engine_ops *const engines[]
    = { &engine_containerd, &engine_crio, &engine_docker, &engine_podman, NULL };

const struct engine_ops *
engines_by_name (const char *name)
{
  size_t i;

  for (i = 0; engines[i]; i++)
    if (strcmp (name, engines[i]->name) == 0)
      return engines[i];
  return NULL;
}

/* The view of the node's files.  */

enum entry_kind
{
  ENTRY_READ,   /* read from the node, unchanged */
  ENTRY_PUT,    /* new text planned */
  ENTRY_REMOVE, /* removal planned */
  ENTRY_LINK,   /* a link planned */
};

struct entry
{
  char *path;
  enum entry_kind kind;
  char *text; /* READ: the node's (NULL: none); PUT: the new text; LINK: the target */
  bool backup;
};

struct files
{
  char *root;
  struct entry *e;
  size_t n, cap;
};

struct files *
files_new (const char *root)
{
  struct files *f = xmalloc0 (sizeof *f);

  f->root = xstrdup (root);
  return f;
}

void
files_free (struct files *f)
{
  size_t i;

  if (f == NULL)
    return;
  for (i = 0; i < f->n; i++)
    {
      free (f->e[i].path);
      free (f->e[i].text);
    }
  free (f->e);
  free (f->root);
  free (f);
}

const char *
files_root (const struct files *f)
{
  return f->root;
}

static struct entry *
find (struct files *f, const char *path)
{
  size_t i;

  for (i = 0; i < f->n; i++)
    if (strcmp (f->e[i].path, path) == 0)
      return &f->e[i];
  return NULL;
}

static struct entry *
add (struct files *f, const char *path, enum entry_kind kind)
{
  struct entry *e = find (f, path);

  if (e == NULL)
    {
      if (f->n == f->cap)
        {
          f->cap = f->cap ? 2 * f->cap : 16;
          f->e = xrealloc (f->e, f->cap * sizeof *f->e);
        }
      e = &f->e[f->n++];
      memset (e, 0, sizeof *e);
      e->path = xstrdup (path);
    }
  else
    {
      free (e->text);
      e->text = NULL;
    }
  e->kind = kind;
  return e;
}

/* Reads ROOT+PATH into *TEXT (NULL when it is not there), without
   following a link in its last component: capguard edits files, and a
   link on a node mounted under ROOT may point out of it.  */
static int
read_node (const char *root, const char *path, char **text, struct error **err)
{
  cleanup_free char *full = NULL;
  cleanup_close int fd = -1;
  size_t len;

  *text = NULL;
  xasprintf (&full, "%s%s", root, path);
  /* O_NONBLOCK: a FIFO left where a file should be must not hang install.  */
  fd = open (full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
    return 0;
  if (fd < 0 && errno == ELOOP)
    return make_error (err, 0, "`%s` is a symbolic link: capguard reads and edits files, not links",
                       full);
  if (fd < 0)
    return make_error (err, errno, "open `%s`", full);
  {
    struct stat st;
    if (fstat (fd, &st) < 0)
      return make_error (err, errno, "`%s`", full);
    if (!S_ISREG (st.st_mode))
      return make_error (err, 0, "`%s` is not a regular file", full);
  }
  return util_read_fd (fd, CAPGUARD_MAX_CONFIG, full, text, &len, err);
}

int
files_read (struct files *f, const char *path, const char **text, struct error **err)
{
  struct entry *e = find (f, path);

  *text = NULL;
  if (e == NULL)
    {
      char *t = NULL;
      if (read_node (f->root, path, &t, err) < 0)
        return -1;
      e = add (f, path, ENTRY_READ);
      e->text = t;
    }
  if (e->kind == ENTRY_READ || e->kind == ENTRY_PUT)
    *text = e->text;
  return 0;
}

void
files_put (struct files *f, const char *path, const char *text, bool backup)
{
  struct entry *e = find (f, path);
  bool keep = e && e->backup;

  e = add (f, path, ENTRY_PUT);
  e->text = xstrdup (text);
  e->backup = backup || keep;
}

void
files_remove (struct files *f, const char *path)
{
  add (f, path, ENTRY_REMOVE);
}

void
files_link (struct files *f, const char *path, const char *target)
{
  struct entry *e = add (f, path, ENTRY_LINK);

  e->text = xstrdup (target);
}

bool
files_exists (struct files *f, const char *path)
{
  cleanup_free char *full = NULL;
  struct entry *e = find (f, path);
  struct stat st;

  if (e)
    return e->kind == ENTRY_PUT || e->kind == ENTRY_LINK || (e->kind == ENTRY_READ && e->text);
  xasprintf (&full, "%s%s", f->root, path);
  return lstat (full, &st) == 0;
}

bool
files_changed (const struct files *f)
{
  size_t i;

  for (i = 0; i < f->n; i++)
    if (f->e[i].kind != ENTRY_READ)
      return true;
  return false;
}

/* Go's filepath.Walk order: names compared component by component.  */
static int
walk_order (const void *a, const void *b)
{
  const char *x = json_string_value (*(json_t *const *)a);
  const char *y = json_string_value (*(json_t *const *)b);

  for (;;)
    {
      size_t lx = strcspn (x, "/"), ly = strcspn (y, "/");
      int c = memcmp (x, y, lx < ly ? lx : ly);
      if (c)
        return c;
      if (lx != ly)
        return lx < ly ? -1 : 1;
      x += lx;
      y += ly;
      if (*x == '\0' || *y == '\0')
        return *x ? 1 : *y ? -1 : 0;
      x++;
      y++;
    }
}

static int
list_dir (struct files *f, const char *dir, bool recursive, const char *pattern, json_t *out,
          int depth, struct error **err)
{
  cleanup_free char *full = NULL;
  struct dirent **names = NULL;
  int n, i, ret = 0;

  if (depth > 16)
    return make_error (err, 0, "`%s%s`: directories nested too deep", f->root, dir);
  xasprintf (&full, "%s%s", f->root, dir);
  n = scandir (full, &names, NULL, alphasort);
  if (n < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return 0;
      return make_error (err, errno, "read directory `%s`", full);
    }
  for (i = 0; i < n && ret == 0; i++)
    {
      cleanup_free char *path = NULL, *child = NULL;
      const char *name = names[i]->d_name;
      struct stat st;

      if (strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        continue;
      xasprintf (&path, "%s/%s", dir, name);
      xasprintf (&child, "%s/%s", full, name);
      if (lstat (child, &st) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          if (recursive)
            ret = list_dir (f, path, true, pattern, out, depth + 1, err);
          continue;
        }
      if (pattern && fnmatch (pattern, name, 0) != 0)
        continue;
      json_array_append_new (out, json_string (path));
    }
  for (i = 0; i < n; i++)
    free (names[i]);
  free (names);
  return ret;
}

int
files_list (struct files *f, const char *dir, bool recursive, const char *pattern, json_t **out,
            struct error **err)
{
  json_t *list = json_array (), *sorted;
  size_t i, dlen = strlen (dir);

  if (list_dir (f, dir, recursive, pattern, list, 0, err) < 0)
    {
      json_decref (list);
      return -1;
    }
  for (i = 0; i < f->n; i++)
    {
      const struct entry *e = &f->e[i];
      const char *rest = e->path + dlen;
      json_t *v;
      size_t j;
      bool listed = false;

      if (strncmp (e->path, dir, dlen) != 0 || rest[0] != '/'
          || (!recursive && strchr (rest + 1, '/'))
          || (pattern && fnmatch (pattern, strrchr (e->path, '/') + 1, 0) != 0))
        continue;
      json_array_foreach (list, j, v)
        if (strcmp (json_string_value (v), e->path) == 0)
          {
            listed = true;
            if (e->kind == ENTRY_REMOVE)
              json_array_remove (list, j);
            break;
          }
      if (!listed && (e->kind == ENTRY_PUT || e->kind == ENTRY_LINK))
        json_array_append_new (list, json_string (e->path));
    }
  /* Sorted as Walk visits, relative to DIR.  */
  sorted = json_array ();
  {
    size_t n = json_array_size (list);
    json_t **items = xmalloc0 (sizeof *items * (n + 1));
    for (i = 0; i < n; i++)
      items[i] = json_string (json_string_value (json_array_get (list, i)) + dlen + 1);
    qsort (items, n, sizeof *items, walk_order);
    for (i = 0; i < n; i++)
      {
        cleanup_free char *p = NULL;
        xasprintf (&p, "%s/%s", dir, json_string_value (items[i]));
        json_array_append_new (sorted, json_string (p));
        json_decref (items[i]);
      }
    free (items);
  }
  json_decref (list);
  *out = sorted;
  return 0;
}

static int
mkdirs (const char *path, struct error **err)
{
  cleanup_free char *copy = xstrdup (path);
  char *p;

  for (p = copy + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdir (copy, 0755) < 0 && errno != EEXIST)
          return make_error (err, errno, "create `%s`", copy);
        *p = '/';
      }
  if (mkdir (copy, 0755) < 0 && errno != EEXIST)
    return make_error (err, errno, "create `%s`", copy);
  return 0;
}

/* Writes TEXT to FULL, atomically: a new file through a temporary one in
   its directory, an existing one through util_replace_file_at (its mode
   and owner kept), each made durable.  */
static int
write_file (const char *full, const char *text, struct error **err)
{
  cleanup_free char *dir = xstrdup (full), *tmp = NULL;
  cleanup_close int dirfd = -1, fd = -1;
  const char *name = strrchr (full, '/') + 1;
  struct stat st;

  *strrchr (dir, '/') = '\0';
  if (mkdirs (dir, err) < 0)
    return -1;
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return make_error (err, errno, "open `%s`", dir);
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return util_replace_file_at (dirfd, name, text, strlen (text), UTIL_DURABLE, err) < 0
               ? error_wrap (err, "%s", full)
               : 0;
  xasprintf (&tmp, ".%s.capguard-%d", name, (int)getpid ());
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0)
    return make_error (err, errno, "create `%s/%s`", dir, tmp);
  if (util_write_all (fd, text, strlen (text), err) < 0 || fsync (fd) < 0
      || renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return *err ? error_wrap (err, "%s", full) : make_error (err, saved, "write `%s`", full);
    }
  if (fsync (dirfd) < 0)
    return make_error (err, errno, "fsync `%s`", dir);
  return 0;
}

static int
commit_put (struct files *f, const struct entry *e, bool dry_run, FILE *out, struct error **err)
{
  cleanup_free char *full = NULL, *old = NULL, *bak = NULL, *bak_old = NULL;

  xasprintf (&full, "%s%s", f->root, e->path);
  if (read_node (f->root, e->path, &old, err) < 0)
    return -1;
  if (old && strcmp (old, e->text) == 0)
    {
      fprintf (out, "unchanged  %s\n", full);
      return 0;
    }
  if (e->backup && old)
    {
      cleanup_free char *bpath = NULL;
      xasprintf (&bpath, "%s" FILES_BACKUP_SUFFIX, e->path);
      xasprintf (&bak, "%s%s", f->root, bpath);
      if (read_node (f->root, bpath, &bak_old, err) < 0)
        return -1;
      /* The first backup is the file as the node had it.  */
      if (bak_old == NULL)
        {
          if (dry_run)
            fprintf (out, "would keep %s as %s\n", full, bak);
          else if (write_file (bak, old, err) < 0)
            return -1;
          else
            fprintf (out, "wrote      %s\n", bak);
        }
    }
  if (dry_run)
    {
      fprintf (out, "would write %s:\n%s", full, e->text);
      return 1;
    }
  if (write_file (full, e->text, err) < 0)
    return -1;
  fprintf (out, "wrote      %s\n", full);
  return 1;
}

static int
commit_link (struct files *f, const struct entry *e, bool dry_run, FILE *out, struct error **err)
{
  cleanup_free char *full = NULL, *dir = NULL;
  char target[PATH_MAX];
  ssize_t n;

  xasprintf (&full, "%s%s", f->root, e->path);
  n = readlink (full, target, sizeof target - 1);
  if (n > 0)
    {
      target[n] = '\0';
      if (strcmp (target, e->text) == 0)
        {
          fprintf (out, "unchanged  %s\n", full);
          return 0;
        }
    }
  if (dry_run)
    {
      fprintf (out, "would link %s -> %s\n", full, e->text);
      return 1;
    }
  dir = xstrdup (full);
  *strrchr (dir, '/') = '\0';
  if (mkdirs (dir, err) < 0)
    return -1;
  if (unlink (full) < 0 && errno != ENOENT)
    return make_error (err, errno, "remove `%s`", full);
  if (symlink (e->text, full) < 0)
    return make_error (err, errno, "link `%s`", full);
  fprintf (out, "linked     %s -> %s\n", full, e->text);
  return 1;
}

int
files_commit (struct files *f, bool dry_run, FILE *out, struct error **err)
{
  size_t i;
  int changed = 0, r;

  for (i = 0; i < f->n; i++)
    {
      const struct entry *e = &f->e[i];
      cleanup_free char *full = NULL;
      struct stat st;

      switch (e->kind)
        {
        case ENTRY_READ:
          break;
        case ENTRY_PUT:
          if ((r = commit_put (f, e, dry_run, out, err)) < 0)
            return -1;
          changed += r;
          break;
        case ENTRY_LINK:
          if ((r = commit_link (f, e, dry_run, out, err)) < 0)
            return -1;
          changed += r;
          break;
        case ENTRY_REMOVE:
        default:
          xasprintf (&full, "%s%s", f->root, e->path);
          if (lstat (full, &st) < 0)
            break;
          if (dry_run)
            fprintf (out, "would remove %s\n", full);
          else if (unlink (full) < 0)
            return make_error (err, errno, "remove `%s`", full);
          else
            fprintf (out, "removed    %s\n", full);
          changed++;
          break;
        }
    }
  return changed;
}

/* Models.  */

void
engine_model_release (struct engine_model *m)
{
  size_t i;

  for (i = 0; i < m->n_ways; i++)
    {
      free (m->ways[i].name);
      free (m->ways[i].label);
      free (m->ways[i].runs);
      free (m->ways[i].why);
      free (m->ways[i].file);
    }
  free (m->ways);
  free (m->source);
  free (m->socket);
  json_decref (m->files);
  json_decref (m->extra);
  if (m->priv_free)
    m->priv_free (m->priv);
  memset (m, 0, sizeof *m);
}

struct engine_way *
engine_model_add (struct engine_model *m, const char *name, const char *label)
{
  struct engine_way *w;

  m->ways = xrealloc (m->ways, (m->n_ways + 1) * sizeof *m->ways);
  w = &m->ways[m->n_ways++];
  memset (w, 0, sizeof *w);
  w->name = xstrdup (name);
  w->label = xstrdup (label);
  return w;
}

void
engine_model_extra (struct engine_model *m, const char *state, const char *path, const char *detail,
                    const char *fix)
{
  if (m->extra == NULL)
    m->extra = json_array ();
  json_array_append_new (m->extra, json_pack ("{s:s, s:s, s:s, s:s?}", "path", path, "state", state,
                                              "detail", detail, "fix", fix));
}

/* Wrappers.  */

char *
engine_wrapper_for (const char *dir, const char *runs)
{
  char *out;

  if (runs == NULL || runs[0] == '\0' || strcmp (runs, "runc") == 0)
    xasprintf (&out, "%s/" ENGINE_WRAPPER, dir);
  else if (runs[0] == '/' && strchr (runs + 1, '/') && !strstr (runs, "/../")
           && !strstr (runs, "/./") && !strstr (runs, "//"))
    xasprintf (&out, "%s/" ENGINE_WRAPPER_DIR "%s", dir, runs);
  else if (runs[0] != '/' && !strchr (runs, '/') && strcmp (runs, ".") && strcmp (runs, ".."))
    xasprintf (&out, "%s/" ENGINE_WRAPPER_DIR "/%s", dir, runs);
  else
    return NULL;
  return out;
}

char *
engine_wrapper_target (const char *path)
{
  const char *d = strstr (path, "/" ENGINE_WRAPPER_DIR "/");
  const char *base = strrchr (path, '/');

  if (d)
    {
      const char *rest = d + strlen ("/" ENGINE_WRAPPER_DIR "/");
      char *out;
      if (*rest == '\0')
        return NULL;
      if (strchr (rest, '/'))
        xasprintf (&out, "/%s", rest);
      else
        out = xstrdup (rest);
      return out;
    }
  base = base ? base + 1 : path;
  return strcmp (base, ENGINE_WRAPPER) == 0 ? xstrdup ("runc") : NULL;
}

void
engine_plan_wrapper (const struct engine_node *node, struct files *f, const char *wrapper)
{
  const char *rest = wrapper + strlen (node->wrapper_dir) + 1, *p;
  const char *base = strrchr (node->binary, '/') + 1;
  cleanup_free char *target = xstrdup ("");

  /* A relative link to capguard beside it (capguard-runtime ->
     capguard, capguard-runtime.d/usr/bin/crun -> ../../../capguard): it
     holds on the node, under --root, and wherever the directory moves.  */
  for (p = rest; *p; p++)
    if (*p == '/')
      util_append (&target, "", "../");
  util_append (&target, "", "%s", base);
  files_link (f, wrapper, target);
}

int
engine_read_toml (struct files *f, const char *path, struct toml_node **root, const char **text,
                  struct error **err)
{
  cleanup_free char *full = NULL;
  const char *t;

  *root = NULL;
  if (files_read (f, path, &t, err) < 0)
    return -1;
  if (text)
    *text = t;
  if (t == NULL)
    return 0;
  xasprintf (&full, "%s%s", files_root (f), path);
  return toml_parse (t, strlen (t), full, root, err);
}

char *
engine_find_binary (struct files *f, const char *name)
{
  static const char *const dirs[]
      = { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin", NULL };
  size_t i;

  for (i = 0; dirs[i]; i++)
    {
      cleanup_free char *p = NULL, *full = NULL;
      struct stat st;
      xasprintf (&p, "%s/%s", dirs[i], name);
      xasprintf (&full, "%s%s", files_root (f), p);
      /* Not followed: under --root, an absolute link would leave the
         node's tree.  */
      if (lstat (full, &st) == 0
          && (S_ISLNK (st.st_mode) || (S_ISREG (st.st_mode) && (st.st_mode & 0111))))
        return steal_pointer (&p);
    }
  return NULL;
}

char *
engine_hook_json (const char *binary, const char *stage)
{
  bool pre = strcmp (stage, "precreate") == 0;
  json_auto_t *args = pre ? json_pack ("[s,s]", "capguard", "precreate")
                          : json_pack ("[s,s,s]", "capguard", "hook", stage);
  json_auto_t *doc
      = json_pack ("{s:s, s:{s:s, s:O}, s:{s:b}, s:[s]}", "version", "1.0.0", "hook", "path",
                   binary, "args", args, "when", "always", true, "stages", stage);
  cleanup_free char *text = json_dumps (doc, JSON_INDENT (2));
  char *out;

  xasprintf (&out, "%s\n", text);
  return out;
}
