/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_UTIL_H
#define CAPGUARD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error.h"

void *xmalloc0 (size_t size);
void *xrealloc (void *ptr, size_t size);
char *xstrdup (const char *s);
char *xstrndup (const char *s, size_t n);
int xasprintf (char **out, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static inline void
cleanup_freep (void *p)
{
  free (*(void **)p);
}
static inline void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    close (*fd);
}
static inline void
cleanup_filep (FILE **f)
{
  if (*f)
    fclose (*f);
}

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_file __attribute__ ((cleanup (cleanup_filep)))

static inline void *
steal_pointer_ (void *pp)
{
  void **p = pp;
  void *ret = *p;
  *p = NULL;
  return ret;
}
#define steal_pointer(pp) ((typeof (*(pp)))steal_pointer_ (pp))

/* *FD, which the caller now owns; *FD becomes -1 (for cleanup_close).  */
static inline int
steal_fd (int *fd)
{
  int ret = *fd;
  *fd = -1;
  return ret;
}

/* Input size caps.  An OCI config from podman with a full seccomp profile is
   about 30 KiB; these leave two orders of magnitude of room and still bound
   what a hostile document can make us allocate.  */
#define CAPGUARD_MAX_CONFIG (4 * 1024 * 1024)
#define CAPGUARD_MAX_POLICY (4 * 1024 * 1024)
#define CAPGUARD_MAX_STATE (1024 * 1024)

/* Reads all of FD into a NUL-terminated buffer of at most MAX bytes.
   WHAT names the input in errors.  */
int util_read_fd (int fd, size_t max, const char *what, char **out, size_t *len,
                  struct error **err);

/* Reads NAME, a regular file directly inside DIRFD, without following a
   symlink (O_NOFOLLOW), into a NUL-terminated buffer of at most MAX bytes.  */
int util_read_file_at (int dirfd, const char *name, size_t max, char **out, size_t *len,
                       struct error **err);

/* How util_replace_file_at makes the new file last.  */
enum util_durability
{
  /* fsync the file and the directory: a crash leaves the old file or the
     new one on disk.  For the node's configuration (install).  */
  UTIL_DURABLE,
  /* Rename only: every process sees the old file or the new one, whole,
     but a crash may leave either (or, on a filesystem without ext4's
     rename-over ordering, an empty one).  For a container's bundle and
     process file, read by the runtime a moment later in the same boot.  */
  UTIL_VOLATILE,
};

/* Replaces NAME, a regular file directly inside DIRFD, with BUF atomically:
   a temporary file in the same directory gets NAME's mode and owner, is
   written, and renamed over NAME (with fsyncs as DURABILITY says).  On
   failure the temporary file is removed and NAME is untouched.  */
int util_replace_file_at (int dirfd, const char *name, const char *buf, size_t len,
                          enum util_durability durability, struct error **err);

/* Reads PATH (symlinks resolved), a regular file of at most MAX bytes,
   into a NUL-terminated buffer, when it and its directory are owned by root
   or by us and not writable by group or others: anyone who can write the
   policy or replace it in its directory decides what every container may
   hold (the rule sudo applies to sudoers).  WHAT names it in errors
   ("policy").  */
int util_read_owned_file (const char *path, const char *what, size_t max, char **text, size_t *len,
                          struct error **err);

/* Appends the formatted text to *LIST (which may be NULL), after SEP when
   *LIST is not empty.  */
void util_append (char **list, const char *sep, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Writes all of BUF to FD, retrying on EINTR and short writes.  */
int util_write_all (int fd, const char *buf, size_t len, struct error **err);

/* Runs ARGV[0] (an absolute path) with ARGV, standard input /dev/null
   (and standard error too when QUIET), and returns its standard output,
   at most MAX bytes, NUL-terminated; NULL when it cannot run or exits
   other than 0.  */
char *util_run_capture (char *const *argv, size_t max, bool quiet, size_t *len, struct error **err);

/* The highest capability number the running kernel knows, from
   /proc/sys/kernel/cap_last_cap, else probed with PR_CAPBSET_READ.  */
int util_cap_last_cap (void);
#endif
