/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>

#include "log.h"
#include "util.h"

void
log_time_at (time_t secs, long msec, char buf[LOG_TIME_LEN])
{
  struct tm tm;

  gmtime_r (&secs, &tm);
  snprintf (buf, LOG_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, msec);
}

void
log_time (char buf[LOG_TIME_LEN])
{
  struct timeval tv;

  gettimeofday (&tv, NULL);
  log_time_at (tv.tv_sec, (long)(tv.tv_usec / 1000), buf);
}

static json_t *
stamped (const json_t *record)
{
  char buf[LOG_TIME_LEN];
  json_t *out = json_object ();

  log_time (buf);
  json_object_set_new (out, "time", json_string (buf));
  json_object_update (out, (json_t *)record);
  return out;
}

int
log_append_line (const char *file, const char *line, struct error **err)
{
  cleanup_free char *dir = xstrdup (file);
  cleanup_free char *buf = NULL;
  cleanup_close int fd = -1;
  char *slash = strrchr (dir, '/');
  int len;

  /* Create the log's own directory (not its parents) the first time.  */
  if (slash && slash != dir)
    {
      *slash = '\0';
      if (mkdir (dir, 0750) < 0 && errno != EEXIST)
        return make_error (err, errno, "create log directory `%s`", dir);
    }
  fd = open (file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0640);
  if (fd < 0)
    return make_error (err, errno, "open log file `%s`", file);
  /* One write(2) per record on an O_APPEND file: concurrent hooks append
     whole lines and never interleave.  */
  len = xasprintf (&buf, "%s\n", line);
  if (write (fd, buf, len) != len)
    return make_error (err, errno, "write log file `%s`", file);
  return 0;
}

int
log_decision (const json_t *record, int priority, bool use_syslog, const char *file,
              struct error **err)
{
  json_auto_t *rec = stamped (record);
  cleanup_free char *line = json_dumps (rec, JSON_COMPACT);

  if (line == NULL)
    return make_error (err, ENOMEM, "cannot serialise the decision record");
  if (use_syslog)
    {
      openlog ("capguard", LOG_PID, LOG_AUTHPRIV);
      syslog (priority, "%s", line);
      closelog ();
    }
  if (file)
    return log_append_line (file, line, err);
  return 0;
}

void
log_warning (const char *fmt, ...)
{
  va_list ap;

  fputs ("capguard: warning: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}
