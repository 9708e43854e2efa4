/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_OCI_H
#define CAPGUARD_OCI_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "capset.h"
#include "error.h"
#include "fields.h"

enum oci_seccomp
{
  OCI_SECCOMP_NONE,       /* no linux.seccomp */
  OCI_SECCOMP_UNCONFINED, /* defaultAction SCMP_ACT_ALLOW and no rules: Kubernetes' Unconfined */
  OCI_SECCOMP_CONFINED,
};

/* What a config says about a process, as the runtime will read it.  All
   strings are borrowed from the document, except `conflicts` and `unknown`.  */
struct oci_facts
{
  bool caps_present;              /* process.capabilities is an object */
  bool set_present[CAPSET_COUNT]; /* that set's key is there */
  uint64_t sets[CAPSET_COUNT];    /* the known capabilities in each set */
  json_t *unknown[CAPSET_COUNT];  /* names runc would not know, an owned array, or NULL */
  int no_new_privileges;          /* -1 absent, 0 false, 1 true */
  const char *command;            /* process.args[0] */
  bool has_uid;
  uint32_t uid;
  json_t *annotations;                        /* borrowed object, or NULL */
  const char *fields[FIELD_KUBERNETES_COUNT]; /* NULL when missing or contradicted */
  char *conflicts;                            /* why a field was dropped, or NULL */
  const char *engine;                         /* "podman", "cri-o", "containerd" or "unknown" */
  enum oci_seccomp seccomp;
  bool network_ns; /* a network namespace of its own (new, or joined by a path that is not the
                       host's) */
  const char *network_unknown;   /* a joined network namespace whose path cannot be read, or NULL */
  bool ping_sysctl;              /* linux.sysctl sets net.ipv4.ping_group_range */
  bool sandbox;                  /* a CRI pod's sandbox (pause) container, by its engine's key */
  const json_t *seccomp_profile; /* linux.seccomp when confined (borrowed), else NULL */
  unsigned privileged;           /* the OCI_PRIVILEGED_* criteria the config meets */
};

/* The signs of host-level power (podman --privileged, CRI privileged:
   true, docker --privileged show them all); a container showing any one
   is privileged.  */
enum
{
  OCI_PRIVILEGED_ALL_CHAR = 1,  /* the device cgroup gives rwm on every character device */
  OCI_PRIVILEGED_ALL_BLOCK = 2, /* ... on every block device */
  OCI_PRIVILEGED_SYSFS_RW = 4,  /* a sysfs mount, or a bind of the host's /sys, without ro */
  OCI_PRIVILEGED_PROC_SYS = 8,  /* /proc/sys, /proc/sysrq-trigger or /proc/kcore neither masked
                                   nor read-only */
  OCI_PRIVILEGED_SIGNS = 15,
};

/* The name of criterion BIT, for explain and the log.  */
const char *oci_privileged_criterion (unsigned bit);
/* The sign BIT as a stable name for data: all-char-devices,
   all-block-devices, sysfs-writable, proc-unmasked.  */
const char *oci_privileged_sign (unsigned bit);

void oci_facts_release (struct oci_facts *facts);

/* NAMES (an array of strings) for a message: each JSON-quoted, so that a
   hostile name cannot pass for another field, space-separated.  */
char *oci_names_text (const json_t *names);

/* Adds MORE (an object of strings, or NULL; WHERE names it: "in the
   state") to the config's annotations
   the facts were taken from, and recomputes the normalised fields and the
   engine from the result, which *MERGED holds (the caller keeps it while it
   uses FACTS).  The one rule wherever annotations meet (the OCI state's in
   a hook, runc's state in exec, explain's --annotation): a key both carry
   with different values is dropped, so that it matches nothing and neither
   side can choose the other's rule, and the reason joins facts->conflicts.  */
int oci_facts_add_annotations (struct oci_facts *facts, const json_t *more, const char *where,
                               json_t **merged, struct error **err);

/* The OCI state a runtime gives a hook on stdin (runtime-spec runtime.md).
   Strings and the annotations object are borrowed from the parsed document.  */
struct oci_state
{
  const char *id;
  const char *status;
  const char *bundle;
  long pid; /* 0 when absent */
  json_t *annotations;
};

/* Parses and checks a state document; returns the document, which owns
   what STATE points at.  */
json_t *oci_state_parse (const char *buf, size_t len, const char *source, struct oci_state *state,
                         struct error **err);

/* Reads BUNDLE/config.json: the bundle must be an absolute path to a
   directory, and config.json a regular file in it, not a symlink.  */
int oci_bundle_read_config (const char *bundle, char **buf, size_t *len, struct error **err);

/* Parses an OCI runtime config.  Besides JSON syntax this refuses what runc
   would read differently from us: duplicate keys, and keys that differ only
   in case from a field of the runtime spec (Go's encoding/json matches them
   case-insensitively).  */
json_t *oci_config_parse (const char *buf, size_t len, const char *source, struct error **err);

/* Parses a process file (`runc exec --process FILE`): one runtime-spec
   Process object, with the same checks as oci_config_parse.  Returns
   {"process": PROCESS}, a config holding it, so that oci_config_facts and
   oci_config_apply work on it; PROCESS itself is in *PROCESS (borrowed).  */
json_t *oci_process_parse (const char *buf, size_t len, const char *source, json_t **process,
                           struct error **err);

/* Extracts the facts of a parsed config; wrong types are errors, and
   leave nothing to release.  */
int oci_config_facts (json_t *config, int last_cap, struct oci_facts *facts, struct error **err);

/* What a rewrite changes in a config.  */
struct oci_edit
{
  const uint64_t *keep;         /* [CAPSET_COUNT]: each set in CHANGED holds exactly this */
  const bool *changed;          /* [CAPSET_COUNT] */
  bool set_nnp;                 /* process.noNewPrivileges = true */
  const char *ping_group_range; /* linux.sysctl["net.ipv4.ping_group_range"], or NULL */
  const json_t *seccomp;        /* linux.seccomp, or NULL */
};

/* Applies EDIT to CONFIG: a changed set keeps the original order of its
   remaining entries and never gains one.  Nothing else in the document is
   touched.  */
int oci_config_apply (json_t *config, const struct oci_edit *edit, int last_cap,
                      struct error **err);

#endif
