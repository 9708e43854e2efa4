/* SPDX-License-Identifier: GPL-2.0-or-later */
/* capguard observe: which capabilities each container really uses.  The
   kernel side (src/bpf/observe.bpf.c) counts every capability check in
   BPF maps; this side drains them every --interval seconds, names each
   cgroup's container, takes its identity from capguard's own decision
   log, and appends one JSON line per container, capability and outcome
   to --log.  */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "capset.h"
#include "command.h"
#include "log.h"
#include "modes.h"
#include "observe.h"
#include "observe_abi.h"
#include "observe.skel.h"
#include "util.h"

#define DECISIONS_MAX_LINE (64 * 1024)
/* The identities kept: the last this many containers created (about 300
   bytes each); an older container's records then have none.  */
#define OBSERVE_MAX_IDENTITIES 16384

/* libbpf's own messages: the last two kept, said when loading fails (the
   last is often only "failed to load", the one before says why).  */
static char libbpf_said[2][512];
static char libbpf_last[1040];

static int __attribute__ ((format (printf, 2, 0)))
libbpf_quiet (enum libbpf_print_level level, const char *fmt, va_list ap)
{
  size_t n;

  /* CAPGUARD_BPF_DEBUG=1: every message of libbpf's, the verifier's log
     included, on stderr.  */
  if (getenv ("CAPGUARD_BPF_DEBUG"))
    {
      va_list copy;
      va_copy (copy, ap);
      vfprintf (stderr, fmt, copy);
      va_end (copy);
    }
  if (level == LIBBPF_DEBUG)
    return 0;
  memcpy (libbpf_said[0], libbpf_said[1], sizeof libbpf_said[0]);
  vsnprintf (libbpf_said[1], sizeof libbpf_said[1], fmt, ap);
  n = strlen (libbpf_said[1]);
  while (n > 0 && (libbpf_said[1][n - 1] == '\n' || libbpf_said[1][n - 1] == ' '))
    libbpf_said[1][--n] = '\0';
  snprintf (libbpf_last, sizeof libbpf_last, "%s%s%s", libbpf_said[0],
            libbpf_said[0][0] ? "; " : "", libbpf_said[1]);
  return 0;
}

/* CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN, which holds both on older
   kernels) in the effective set.  */
static int
check_privileges (struct error **err)
{
  cap_t caps = cap_get_proc ();
  cap_flag_value_t bpf = CAP_CLEAR, perfmon = CAP_CLEAR, admin = CAP_CLEAR;

  if (caps == NULL)
    return make_error (err, errno, "cannot read this process's capabilities");
  cap_get_flag (caps, CAP_BPF, CAP_EFFECTIVE, &bpf);
  cap_get_flag (caps, CAP_PERFMON, CAP_EFFECTIVE, &perfmon);
  cap_get_flag (caps, CAP_SYS_ADMIN, CAP_EFFECTIVE, &admin);
  cap_free (caps);
  if ((bpf == CAP_SET && perfmon == CAP_SET) || admin == CAP_SET)
    return 0;
  return make_error (err, 0,
                     "observe needs CAP_BPF and CAP_PERFMON (this process has %s%s%s): run it as "
                     "root, or give its container those two (and CAP_SYSLOG, to read the kernel's "
                     "symbol addresses)",
                     bpf == CAP_SET ? "CAP_BPF" : "",
                     bpf == CAP_SET && perfmon == CAP_SET ? " and " : "",
                     perfmon == CAP_SET ? "CAP_PERFMON"
                     : bpf == CAP_SET   ? ""
                                        : "neither");
}

/* The address ranges of the no-audit functions, from /proc/kallsyms: each
   runs to the next symbol's address.  Returns how many were found with an
   address (0: kptr_restrict hides them).  */
static size_t
noaudit_ranges (unsigned long long lo[OBSERVE_RANGES], unsigned long long hi[OBSERVE_RANGES])
{
  cleanup_file FILE *f = fopen ("/proc/kallsyms", "re");
  unsigned long long addr, *open_end[OBSERVE_RANGES] = { NULL };
  char type, name[256], line[512];
  size_t n = 0, i;

  if (f == NULL)
    return 0;
  /* /proc/kallsyms is sorted by address within the kernel's text.  */
  while (fgets (line, sizeof line, f))
    {
      if (sscanf (line, "%llx %c %255s", &addr, &type, name) != 3)
        continue;
      for (i = 0; i < n; i++)
        if (open_end[i] && addr > lo[i])
          {
            *open_end[i] = addr;
            open_end[i] = NULL;
          }
      if (addr == 0 || (type != 't' && type != 'T') || n == OBSERVE_RANGES)
        continue;
      for (i = 0; observe_noaudit_functions[i]; i++)
        if (strcmp (name, observe_noaudit_functions[i]) == 0)
          {
            lo[n] = addr;
            hi[n] = addr + 4096; /* until the next symbol says */
            open_end[n] = &hi[n];
            n++;
            break;
          }
    }
  return n;
}

static void
probe_kernel (struct observe_kernel *k, size_t n_ranges)
{
  struct btf *btf;

  memset (k, 0, sizeof *k);
  k->btf = access ("/sys/kernel/btf/vmlinux", R_OK) == 0;
  if (!k->btf || (btf = btf__load_vmlinux_btf ()) == NULL)
    {
      k->btf = false;
      return;
    }
  k->tracepoint = btf__find_by_name_kind (btf, "btf_trace_cap_capable", BTF_KIND_TYPEDEF) > 0;
  k->cap_capable = btf__find_by_name_kind (btf, "cap_capable", BTF_KIND_FUNC) > 0;
  k->fexit_allowed = true; /* known only by trying: the load says */
  k->kallsyms = n_ranges > 0;
  btf__free (btf);
}

/* What a cgroup was, as the kernel side first saw it.  */
struct cgroup_name
{
  unsigned long long id;
  bool container;
  char cid[65];
  const char *engine;
};

/* A count kept between drains: per container, capability, outcome and
   whether in a user namespace of the container's own.  */
struct tally
{
  char id[65];
  const char *engine;
  int cap;
  bool granted, in_userns;
  unsigned long long count, first_ns;
};

struct observer
{
  struct observe *skel;
  const char *log, *decisions;
  /* The decision log, read on from where the last flush stopped.  */
  off_t decisions_offset;
  ino_t decisions_ino;
  json_t *identities; /* container id -> {namespace, pod, container, image, held} */
  char (*ring)[65];   /* their ids, oldest first from ring_next once full */
  size_t ring_next;
  json_t *tally_index; /* "id/cap/granted/userns" -> index into tallies */
  struct cgroup_name *cgroups;
  size_t n_cgroups, cap_cgroups;
  struct tally *tallies;
  size_t n_tallies, cap_tallies;
  char since[LOG_TIME_LEN];
  unsigned long long counted, host_checks;
};

/* New records of the decision log since the last read: each one with an
   id gives that container's identity (the last one wins).  */
static void
read_decisions (struct observer *o)
{
  cleanup_close int fd = -1;
  cleanup_file FILE *f = NULL;
  cleanup_free char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  struct stat st;

  if (o->decisions == NULL
      || (fd = open (o->decisions, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY)) < 0
      || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    return;
  /* Rotated (a new file) or truncated: from its start.  */
  if (st.st_ino != o->decisions_ino || st.st_size < o->decisions_offset)
    o->decisions_offset = 0;
  o->decisions_ino = st.st_ino;
  if (lseek (fd, o->decisions_offset, SEEK_SET) < 0 || (f = fdopen (fd, "r")) == NULL)
    return;
  fd = -1;
  while ((len = getline (&line, &cap, f)) > 0)
    {
      json_auto_t *rec = NULL;
      const char *id;
      if (line[len - 1] != '\n')
        break; /* a line being written: the next flush reads it whole */
      o->decisions_offset += len;
      if (len > DECISIONS_MAX_LINE)
        continue;
      rec = json_loadb (line, (size_t)len, 0, NULL);
      id = json_string_value (json_object_get (rec, "id"));
      if (id == NULL || json_object_get (rec, "action") == NULL)
        continue;
      if (strlen (id) > 64)
        continue;
      if (json_object_get (o->identities, id) == NULL)
        {
          /* A new container: the oldest one's identity goes when full.  */
          if (o->ring[o->ring_next][0])
            json_object_del (o->identities, o->ring[o->ring_next]);
          memcpy (o->ring[o->ring_next], id, strlen (id) + 1);
          o->ring_next = (o->ring_next + 1) % OBSERVE_MAX_IDENTITIES;
        }
      json_object_set_new (
          o->identities, id,
          json_pack ("{s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "namespace",
                     json_object_get (rec, "namespace"), "pod", json_object_get (rec, "pod"),
                     "container", json_object_get (rec, "container"), "image",
                     json_object_get (rec, "image"), "held", json_object_get (rec, "held"),
                     "engine", json_object_get (rec, "engine")));
    }
}

static struct cgroup_name *
cgroup_of (struct observer *o, unsigned long long id)
{
  struct observe_cgroup names;
  struct cgroup_name *c;
  size_t i;

  for (i = 0; i < o->n_cgroups; i++)
    if (o->cgroups[i].id == id)
      return &o->cgroups[i];
  if (o->n_cgroups == o->cap_cgroups)
    {
      o->cap_cgroups = o->cap_cgroups ? 2 * o->cap_cgroups : 64;
      o->cgroups = xrealloc (o->cgroups, o->cap_cgroups * sizeof *o->cgroups);
    }
  c = &o->cgroups[o->n_cgroups++];
  memset (c, 0, sizeof *c);
  c->id = id;
  if (bpf_map__lookup_elem (o->skel->maps.cgroups, &id, sizeof id, &names, sizeof names, 0) == 0)
    {
      names.name[sizeof names.name - 1] = names.parent[sizeof names.parent - 1] = '\0';
      c->container = observe_container_of (names.name, names.parent, c->cid, &c->engine);
    }
  return c;
}

static void
tally (struct observer *o, const struct cgroup_name *c, const struct observe_key *k,
       const struct observe_value *v)
{
  struct tally *t = NULL;
  char name[96];
  json_t *at;

  snprintf (name, sizeof name, "%s/%u/%d/%d", c->cid, k->cap, !!k->granted, k->level > 0);
  if ((at = json_object_get (o->tally_index, name)) != NULL)
    t = &o->tallies[json_integer_value (at)];
  else
    {
      if (o->n_tallies == o->cap_tallies)
        {
          o->cap_tallies = o->cap_tallies ? 2 * o->cap_tallies : 64;
          o->tallies = xrealloc (o->tallies, o->cap_tallies * sizeof *o->tallies);
        }
      json_object_set_new (o->tally_index, name, json_integer ((json_int_t)o->n_tallies));
      t = &o->tallies[o->n_tallies++];
      memset (t, 0, sizeof *t);
      memcpy (t->id, c->cid, sizeof t->id);
      t->engine = c->engine;
      t->cap = (int)k->cap;
      t->granted = k->granted;
      t->in_userns = k->level > 0;
      t->first_ns = v->first_ns;
    }
  t->count += v->count;
  if (v->first_ns < t->first_ns)
    t->first_ns = v->first_ns;
}

/* Everything the kernel side counted since the last drain, out of its map
   into the tallies (host processes counted apart).  */
static int
drain (struct observer *o, struct error **err)
{
  struct observe_key keys[256];
  struct observe_value values[256];
  int map = bpf_map__fd (o->skel->maps.checks);
  __u32 in_batch = 0, out_batch = 0;
  bool first = true;

  for (;;)
    {
      __u32 n = 256, i;
      int rc = bpf_map_lookup_and_delete_batch (map, first ? NULL : &in_batch, &out_batch, keys,
                                                values, &n, NULL);
      if (rc < 0 && errno != ENOENT)
        return make_error (err, errno, "read the kernel side's counts");
      first = false;
      in_batch = out_batch;
      for (i = 0; i < n; i++)
        {
          struct cgroup_name *c = cgroup_of (o, keys[i].cgroup);
          o->counted += values[i].count;
          if (c->container)
            tally (o, c, &keys[i], &values[i]);
          else
            o->host_checks += values[i].count;
        }
      if (rc < 0)
        break; /* ENOENT: the last batch */
    }
  return 0;
}

/* CLOCK_MONOTONIC nanoseconds NS (the kernel side's clock) as a
   wall-clock time the logs write.  */
static void
wall_time (unsigned long long ns, char buf[LOG_TIME_LEN])
{
  struct timespec boot, real;
  long long delta;

  clock_gettime (CLOCK_MONOTONIC, &boot);
  clock_gettime (CLOCK_REALTIME, &real);
  delta = ((long long)boot.tv_sec * 1000000000LL + boot.tv_nsec) - (long long)ns;
  delta = (long long)real.tv_sec * 1000000000LL + real.tv_nsec - delta;
  log_time_at ((time_t)(delta / 1000000000LL), (long)((delta % 1000000000LL) / 1000000), buf);
}

/* The tallies as records, appended to the log; the tallies start over.
   A log that cannot be written (a full disk) is warned about and the
   tallies are kept for the next flush, not lost.  */
static int
flush (struct observer *o, struct error **err)
{
  cleanup_error struct error *why = NULL;
  char until[LOG_TIME_LEN];
  size_t i;

  read_decisions (o);
  if (drain (o, err) < 0)
    return -1;
  log_time (until);
  for (i = 0; i < o->n_tallies; i++)
    {
      struct tally *t = &o->tallies[i];
      const json_t *identity = json_object_get (o->identities, t->id);
      const char *engine = json_string_value (json_object_get (identity, "engine"));
      char first[LOG_TIME_LEN];
      struct observe_count c = {
        .id = t->id,
        .engine = engine && strcmp (engine, "unknown") != 0 ? engine : t->engine,
        .identity = identity,
        .cap = t->cap,
        .granted = t->granted,
        .in_userns = t->in_userns,
        .count = t->count,
        .first = first,
        .last = until, /* to the interval: the kernel side keeps no time on its hot path */
        .since = o->since,
        .until = until,
      };
      json_auto_t *rec = NULL;
      cleanup_free char *line = NULL;

      if (t->count == 0 || capset_name (t->cap) == NULL)
        continue; /* written already; or newer than libcap: no name to write */
      wall_time (t->first_ns, first);
      rec = observe_record (&c);
      line = json_dumps (rec, JSON_COMPACT);
      if (log_append_line (o->log, line, &why) < 0)
        {
          log_warning ("observe: %s: the counts are kept for the next flush", error_msg (why));
          return 0;
        }
      t->count = 0; /* written */
    }
  o->n_tallies = 0;
  json_object_clear (o->tally_index);
  /* The names of cgroups are read again when next seen.  */
  for (i = 0; i < o->n_cgroups; i++)
    bpf_map__delete_elem (o->skel->maps.cgroups, &o->cgroups[i].id, sizeof o->cgroups[i].id, 0);
  o->n_cgroups = 0;
  memcpy (o->since, until, sizeof o->since);
  return 0;
}

static void
stats (struct observer *o, unsigned long long out[OBSERVE_STAT_COUNT])
{
  int ncpu = libbpf_num_possible_cpus ();
  __u32 k;

  memset (out, 0, sizeof (unsigned long long) * OBSERVE_STAT_COUNT);
  if (ncpu <= 0)
    return;
  for (k = 0; k < OBSERVE_STAT_COUNT; k++)
    {
      cleanup_free unsigned long long *per = xmalloc0 (sizeof *per * (size_t)ncpu);
      int c;
      if (bpf_map__lookup_elem (o->skel->maps.stats, &k, sizeof k, per, sizeof *per * (size_t)ncpu,
                                0)
          < 0)
        continue;
      for (c = 0; c < ncpu; c++)
        out[k] += per[c];
    }
}

static int
load (struct observer *o, enum observe_attach *attach, struct error **err)
{
  unsigned long long lo[OBSERVE_RANGES] = { 0 }, hi[OBSERVE_RANGES] = { 0 };
  struct observe_kernel k;
  const char *why = NULL;
  size_t n = noaudit_ranges (lo, hi), i;
  struct bpf_link *link;

  probe_kernel (&k, n);
  *attach = observe_choose_attach (&k, &why);
  if (*attach == OBSERVE_ATTACH_NONE)
    return make_error (err, 0, "%s", why);
  libbpf_set_print (libbpf_quiet);
  o->skel = observe__open ();
  if (o->skel == NULL)
    return make_error (err, errno, "open the BPF object (%s)", libbpf_last);
  for (i = 0; i < n; i++)
    {
      o->skel->rodata->noaudit_lo[i] = lo[i];
      o->skel->rodata->noaudit_hi[i] = hi[i];
    }
  o->skel->rodata->noaudit_n = (__u32)n;
  bpf_program__set_autoload (o->skel->progs.on_cap_capable, *attach == OBSERVE_ATTACH_TRACEPOINT);
  bpf_program__set_autoload (o->skel->progs.on_cap_capable_exit, *attach == OBSERVE_ATTACH_FEXIT);
  if (observe__load (o->skel) < 0)
    return make_error (err, errno, "the kernel refused %s (%s)", observe_attach_name (*attach),
                       libbpf_last);
  /* Where each task execs, before any check is counted.  */
  if ((o->skel->links.on_exec = bpf_program__attach (o->skel->progs.on_exec)) == NULL
      || (o->skel->links.on_fork = bpf_program__attach (o->skel->progs.on_fork)) == NULL)
    return make_error (err, errno, "attach to the scheduler's exec and fork tracepoints (%s)",
                       libbpf_last);
  link = bpf_program__attach (*attach == OBSERVE_ATTACH_TRACEPOINT
                                  ? o->skel->progs.on_cap_capable
                                  : o->skel->progs.on_cap_capable_exit);
  if (link == NULL)
    return make_error (err, errno, "attach %s (%s)", observe_attach_name (*attach), libbpf_last);
  if (*attach == OBSERVE_ATTACH_TRACEPOINT)
    o->skel->links.on_cap_capable = link;
  else
    o->skel->links.on_cap_capable_exit = link;
  return 0;
}

/* observed.log beside the decision log DECISIONS, in *OUT.  */
static int
default_log_path (const char *decisions, char **out, struct error **err)
{
  char *slash;

  if (decisions == NULL)
    return make_error (err, 0,
                       "--log FILE: the policy has no log.file to write the observations next to");
  *out = xstrdup (decisions);
  slash = strrchr (*out, '/');
  if (slash)
    slash[1] = '\0';
  else
    (*out)[0] = '\0';
  util_append (out, "", "observed.log");
  return 0;
}

/* Flushes every INTERVAL seconds until SECONDS have passed (0: no end) or
   SIGTERM or SIGINT, then once more.  */
static int
run (struct observer *o, double seconds, double interval, struct error **err)
{
  cleanup_close int sfd = -1;
  struct timespec start, now;
  sigset_t mask;

  /* SIGTERM and SIGINT end it: the counts so far are written first.  */
  sigemptyset (&mask);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  if ((sfd = signalfd (-1, &mask, SFD_CLOEXEC)) < 0)
    return make_error (err, errno, "signalfd");
  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;)
    {
      double elapsed, wait = interval;
      struct pollfd p = { .fd = sfd, .events = POLLIN };
      clock_gettime (CLOCK_MONOTONIC, &now);
      elapsed = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
      if (seconds > 0 && elapsed >= seconds)
        break;
      if (seconds > 0 && seconds - elapsed < wait)
        wait = seconds - elapsed;
      if (poll (&p, 1, (int)(wait * 1000) + 1) > 0)
        break;
      if (flush (o, err) < 0)
        return -1;
    }
  return flush (o, err);
}

int
mode_observe (const struct policy *policy, double seconds, double interval, const char *log,
              const char *decisions, struct error **err)
{
  cleanup_free char *default_log = NULL;
  json_auto_t *identities = json_object (), *tally_index = json_object ();
  struct observer o = { .identities = identities, .tally_index = tally_index };
  unsigned long long st[OBSERVE_STAT_COUNT];
  enum observe_attach attach;
  int rc = -1;

  o.decisions = decisions ? decisions : policy ? policy->log_file : NULL;
  if (log == NULL && default_log_path (o.decisions, &default_log, err) < 0)
    return -2;
  o.log = log ? log : default_log;
  if (check_privileges (err) < 0)
    return -1;
  o.ring = xmalloc0 (sizeof *o.ring * OBSERVE_MAX_IDENTITIES);
  if (load (&o, &attach, err) < 0)
    goto out;
  read_decisions (&o);
  log_time (o.since);
  fprintf (stderr, "capguard observe: attached to %s; writing %s every %g s%s\n",
           observe_attach_name (attach), o.log, interval,
           o.decisions ? "" : " (no decision log: containers without their identity)");
  if (run (&o, seconds, interval, err) < 0)
    goto out;
  stats (&o, st);
  fprintf (stderr,
           "capguard observe: %llu checks counted (%llu of host processes), not counted: %llu "
           "no-audit, %llu by the runtime's init, %llu on borrowed credentials, %llu lost "
           "(table full)\n",
           o.counted, o.host_checks, st[OBSERVE_STAT_NOAUDIT], st[OBSERVE_STAT_INIT],
           st[OBSERVE_STAT_BORROWED], st[OBSERVE_STAT_FULL]);
  rc = 0;
out:
  observe__destroy (o.skel);
  free (o.cgroups);
  free (o.tallies);
  free (o.ring);
  return rc;
}

static int
seconds_arg (const char *text, const char *option, double *out, struct error **err)
{
  char *end;

  errno = 0;
  *out = strtod (text, &end);
  if (errno || end == text || *end || !(*out > 0) || *out > 31536000)
    return command_usage (err, "%s `%s`: expected seconds, more than 0", option, text);
  return 0;
}

int
command_observe (struct command_ctx *ctx, struct error **err)
{
  static const struct option options[] = {
    { "for", required_argument, NULL, 'f' },
    { "interval", required_argument, NULL, 'i' },
    { "log", required_argument, NULL, 'l' },
    { "decisions", required_argument, NULL, 'd' },
    { NULL, 0, NULL, 0 },
  };
  struct policy *policy;
  const char *log = NULL, *decisions = NULL;
  double seconds = 0, interval = 10;
  int c;

  while ((c = command_getopt (ctx, options, err)) != -1)
    switch (c)
      {
      case 'f':
        if (seconds_arg (optarg, "--for", &seconds, err) < 0)
          return COMMAND_USAGE;
        break;
      case 'i':
        if (seconds_arg (optarg, "--interval", &interval, err) < 0)
          return COMMAND_USAGE;
        break;
      case 'l':
      case 'd':
        if (optarg[0] != '/')
          return command_usage (err, "--%s `%s`: expected an absolute path",
                                c == 'l' ? "log" : "decisions", optarg);
        *(c == 'l' ? &log : &decisions) = optarg;
        break;
      default:
        return COMMAND_USAGE;
      }
  if (optind < ctx->argc)
    return command_usage (err, "observe takes no arguments (`%s`)", ctx->argv[optind]);
  if ((policy = command_policy (ctx, NULL, err)) == NULL)
    return COMMAND_INVALID;
  return mode_observe (policy, seconds, interval, log, decisions, err);
}
