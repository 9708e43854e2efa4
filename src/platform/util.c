/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "util.h"

void *
xmalloc0 (size_t size)
{
  void *p = calloc (1, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xrealloc (void *ptr, size_t size)
{
  void *p = realloc (ptr, size ? size : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *p = strdup (s);
  if (p == NULL)
    abort ();
  return p;
}

char *
xstrndup (const char *s, size_t n)
{
  char *p = strndup (s, n);
  if (p == NULL)
    abort ();
  return p;
}

int
xasprintf (char **out, const char *fmt, ...)
{
  va_list ap;
  int ret;

  va_start (ap, fmt);
  ret = vasprintf (out, fmt, ap);
  va_end (ap);
  if (ret < 0)
    abort ();
  return ret;
}

void
util_append (char **list, const char *sep, const char *fmt, ...)
{
  cleanup_free char *item = NULL;
  va_list ap;
  char *n;

  va_start (ap, fmt);
  if (vasprintf (&item, fmt, ap) < 0)
    abort ();
  va_end (ap);
  xasprintf (&n, "%s%s%s", *list ? *list : "", *list ? sep : "", item);
  free (*list);
  *list = n;
}

int
util_read_fd (int fd, size_t max, const char *what, char **out, size_t *len, struct error **err)
{
  cleanup_free char *buf = NULL;
  size_t used = 0, cap = 0;
  struct stat st;

  /* A regular file is read into one buffer of its size (and room to see
     its end): no copies while growing; one over the limit is refused
     before a byte is read.  */
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && (size_t)st.st_size > max)
    return make_error (err, 0, "%s exceeds the limit of %zu bytes", what, max);
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode) && st.st_size > 0 && (size_t)st.st_size <= max)
    {
      cap = st.st_size + 4097;
      buf = xrealloc (NULL, cap);
    }
  for (;;)
    {
      ssize_t n;

      if (cap - used < 4096)
        {
          cap = cap ? cap * 2 : 16384;
          if (cap > max + 2)
            cap = max + 2;
          buf = xrealloc (buf, cap);
        }
      n = read (fd, buf + used, cap - used - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return make_error (err, errno, "read %s", what);
      if (n == 0)
        break;
      used += n;
      if (used > max)
        return make_error (err, 0, "%s exceeds the limit of %zu bytes", what, max);
    }
  if (buf == NULL)
    buf = xmalloc0 (1);
  buf[used] = '\0';
  *out = steal_pointer (&buf);
  *len = used;
  return 0;
}

int
util_read_file_at (int dirfd, const char *name, size_t max, char **out, size_t *len,
                   struct error **err)
{
  cleanup_close int fd = -1;
  struct stat st;

  /* O_NONBLOCK: a FIFO planted in place of the file must not hang us.  */
  fd = openat (dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
  if (fd < 0 && errno == ELOOP)
    return make_error (err, 0, "`%s` is a symbolic link: refusing to follow it", name);
  if (fd < 0)
    return make_error (err, errno, "open `%s`", name);
  if (fstat (fd, &st) < 0)
    return make_error (err, errno, "stat `%s`", name);
  if (!S_ISREG (st.st_mode))
    return make_error (err, 0, "`%s` is not a regular file", name);
  if ((size_t)st.st_size > max)
    return make_error (err, 0, "`%s` exceeds the limit of %zu bytes", name, max);
  return util_read_fd (fd, max, name, out, len, err);
}

int
util_replace_file_at (int dirfd, const char *name, const char *buf, size_t len,
                      enum util_durability durability, struct error **err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  struct stat st;
  int saved;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return make_error (err, errno, "stat `%s`", name);
  if (!S_ISREG (st.st_mode))
    return make_error (err, 0, "`%s` is not a regular file", name);
  xasprintf (&tmp, ".%s.capguard-%d-%lx", name, (int)getpid (), (unsigned long)random ());
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return make_error (err, errno, "create a temporary file beside `%s`", name);
  /* Same owner and mode as the file it replaces: the runtime and the
     engine expect to read and later rewrite it as before.  */
  if (fchown (fd, st.st_uid, st.st_gid) < 0 && (errno != EPERM || geteuid () == 0))
    goto fail;
  if (fchmod (fd, st.st_mode & 07777) < 0 || util_write_all (fd, buf, len, err) < 0
      || (durability == UTIL_DURABLE && fsync (fd) < 0))
    goto fail;
  if (close (fd) < 0)
    {
      fd = -1;
      goto fail;
    }
  fd = -1;
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    goto fail;
  /* The rename itself must reach the disk before the caller goes on.  */
  if (durability == UTIL_DURABLE && fsync (dirfd) < 0)
    return make_error (err, errno, "fsync the directory of `%s`", name);
  return 0;

fail:
  saved = errno;
  unlinkat (dirfd, tmp, 0);
  if (*err)
    return error_wrap (err, "rewrite `%s`", name);
  return make_error (err, saved, "rewrite `%s`", name);
}

int
util_write_all (int fd, const char *buf, size_t len, struct error **err)
{
  while (len > 0)
    {
      ssize_t n = write (fd, buf, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return make_error (err, errno, "write");
      buf += n;
      len -= n;
    }
  return 0;
}

int
util_cap_last_cap (void)
{
  char buf[16] = { 0 };
  cleanup_close int fd = open ("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  int last;

  if (fd >= 0 && read (fd, buf, sizeof buf - 1) > 0)
    {
      char *end;
      long v = strtol (buf, &end, 10);
      if (end != buf && (*end == '\n' || *end == '\0') && v >= 0 && v < 64)
        return v;
    }
  /* No /proc: the bounding-set query fails with EINVAL past the last
     capability the kernel knows.  */
  for (last = 0; last < 63 && prctl (PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0; last++)
    ;
  return last;
}

char *
util_run_capture (char *const *argv, size_t max, bool quiet, size_t *len, struct error **err)
{
  char *out = NULL;
  int p[2], status;
  pid_t pid;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return make_error (err, errno, "pipe"), NULL;
  pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return make_error (err, errno, "fork"), NULL;
    }
  if (pid == 0)
    {
      int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
      dup2 (p[1], STDOUT_FILENO);
      if (devnull >= 0)
        {
          dup2 (devnull, STDIN_FILENO);
          if (quiet)
            dup2 (devnull, STDERR_FILENO);
        }
      execv (argv[0], argv);
      _exit (127);
    }
  close (p[1]);
  if (util_read_fd (p[0], max, argv[0], &out, len, err) < 0)
    {
      close (p[0]);
      while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
        ;
      return NULL;
    }
  close (p[0]);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    {
      free (out);
      return make_error (err, 0, "`%s` %s %d", argv[0],
                         WIFEXITED (status) ? "exited with" : "was killed by signal",
                         WIFEXITED (status) ? WEXITSTATUS (status) : WTERMSIG (status)),
             NULL;
    }
  return out;
}

/* Owned by root or by us, and not writable by group or others: anyone who
   can write the policy or replace it in its directory decides what every
   container may hold (the rule sudo applies to sudoers).  */
static int
check_owner (const struct stat *st, const char *what, const char *path, struct error **err)
{
  if (st->st_uid != 0 && st->st_uid != geteuid ())
    return make_error (err, 0, "%s `%s` is owned by uid %u, not by root: refusing it", what, path,
                       (unsigned)st->st_uid);
  if (st->st_mode & (S_IWGRP | S_IWOTH))
    return make_error (err, 0, "%s `%s` is writable by group or others (mode %04o): refusing it",
                       what, path, (unsigned)(st->st_mode & 07777));
  return 0;
}

int
util_read_owned_file (const char *path, const char *what, size_t max, char **text, size_t *len,
                      struct error **err)
{
  cleanup_free char *real = NULL, *dir_copy = NULL, *dir_what = NULL;
  cleanup_close int fd = -1, dirfd = -1;
  struct stat st;

  real = realpath (path, NULL);
  if (real == NULL)
    return make_error (err, errno, "%s `%s`", what, path);
  if (strcmp (real, "/") == 0)
    return make_error (err, 0, "%s `/` is not a regular file", what);
  dir_copy = xstrdup (real);
  dirfd = open (dirname (dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return make_error (err, errno, "%s directory of `%s`", what, real);
  if (fstat (dirfd, &st) < 0)
    return make_error (err, errno, "stat `%s`", dir_copy);
  xasprintf (&dir_what, "%s directory", what);
  if (check_owner (&st, dir_what, dir_copy, err) < 0)
    return -1;
  fd = openat (dirfd, strrchr (real, '/') + 1, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0)
    return make_error (err, errno, "%s `%s`", what, real);
  if (fstat (fd, &st) < 0)
    return make_error (err, errno, "stat `%s`", real);
  if (!S_ISREG (st.st_mode))
    return make_error (err, 0, "%s `%s` is not a regular file", what, real);
  if (check_owner (&st, what, real, err) < 0)
    return -1;
  if (util_read_fd (fd, max, what, text, len, err) < 0)
    return error_wrap (err, "%s", path);
  return 0;
}
