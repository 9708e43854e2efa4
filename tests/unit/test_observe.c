/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "observe.h"
#include "tap.h"
#include "util.h"

/* Every combination of what a kernel offers: the tracepoint wherever it
   and the no-audit addresses are there, else fexit, else one line.  */
static int
test_attach_choice (void)
{
  int mask;

  for (mask = 0; mask < 32; mask++)
    {
      struct observe_kernel k = {
        .btf = mask & 1,
        .tracepoint = mask & 2,
        .cap_capable = mask & 4,
        .fexit_allowed = mask & 8,
        .kallsyms = mask & 16,
      };
      const char *why = NULL;
      enum observe_attach a = observe_choose_attach (&k, &why);
      if (!k.btf)
        EXPECT (a == OBSERVE_ATTACH_NONE && why && strstr (why, "no BTF"));
      else if (k.tracepoint && k.kallsyms)
        EXPECT (a == OBSERVE_ATTACH_TRACEPOINT);
      else if (k.cap_capable && k.fexit_allowed)
        EXPECT (a == OBSERVE_ATTACH_FEXIT);
      else
        EXPECT (a == OBSERVE_ATTACH_NONE && why && strchr (why, '\n') == NULL);
      if (a == OBSERVE_ATTACH_NONE && k.btf && k.tracepoint && !k.kallsyms)
        EXPECT (strstr (why, "CAP_SYSLOG") != NULL);
    }
  EXPECT_STR (observe_attach_name (OBSERVE_ATTACH_TRACEPOINT), "tp_btf/cap_capable");
  EXPECT_STR (observe_attach_name (OBSERVE_ATTACH_FEXIT), "fexit/cap_capable");
  return 0;
}

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static int
container (const char *name, const char *parent, const char *engine)
{
  char id[65];
  const char *e = NULL;

  if (!observe_container_of (name, parent, id, &e))
    return engine == NULL ? 0 : -1;
  if (engine == NULL || strcmp (id, ID) != 0 || strcmp (e, engine) != 0)
    return -1;
  return 0;
}

/* The cgroup names of the engines under both drivers, and what is not a
   container.  */
static int
test_container_of (void)
{
  EXPECT (container ("libpod-" ID, "libpod_parent", "podman") == 0);
  EXPECT (container ("libpod-" ID ".scope", "machine.slice", "podman") == 0);
  EXPECT (container ("cri-containerd-" ID ".scope", "kubepods-besteffort-podx.slice", "containerd")
          == 0);
  EXPECT (container (ID, "pod0a1b2c3d-uid", "containerd") == 0);
  EXPECT (container (ID, "kubepods", "containerd") == 0);
  EXPECT (container ("crio-" ID ".scope", "kubepods-pod.slice", "crio") == 0);
  EXPECT (container ("crio-" ID, "pod1234", "crio") == 0);
  EXPECT (container ("docker-" ID ".scope", "system.slice", "docker") == 0);
  EXPECT (container (ID, "docker", "docker") == 0);
  EXPECT (container (ID, "default", "unknown") == 0);
  EXPECT (container (ID, NULL, "unknown") == 0);
  /* Not containers: conmon, slices, the host, short or upper-case ids,
     anything after the id.  */
  EXPECT (container ("libpod-conmon-" ID ".scope", "machine.slice", NULL) == 0);
  EXPECT (container ("crio-conmon-" ID ".scope", "x", NULL) == 0);
  EXPECT (container ("system.slice", "", NULL) == 0);
  EXPECT (container ("", NULL, NULL) == 0);
  EXPECT (container (NULL, NULL, NULL) == 0);
  EXPECT (container ("libpod-0123", "x", NULL) == 0);
  EXPECT (container ("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", "x", NULL)
          == 0);
  EXPECT (container (ID "0", "x", NULL) == 0);
  EXPECT (container ("docker-" ID ".scopex", "x", NULL) == 0);
  EXPECT (container ("user-1000.slice", "user.slice", NULL) == 0);
  return 0;
}

static int
check (const char *text, const char *expect)
{
  json_auto_t *rec = json_loads (text, 0, NULL);
  cleanup_error struct error *err = NULL;
  int rc = observe_record_check (rec, &err);

  if (expect == NULL)
    return rc == 0 ? 0 : -1;
  if (rc == 0 || strstr (error_msg (err), expect) == NULL)
    {
      fprintf (stderr, "# %s: %s\n", text, rc == 0 ? "accepted" : error_msg (err));
      return -1;
    }
  return 0;
}

/* A record observe writes reads back; each field wrong is named.  */
static int
test_record_round_trip (void)
{
  json_auto_t *identity = json_pack ("{s:s, s:s, s:n, s:s, s:[s]}", "namespace", "default", "pod",
                                     "web-1", "container", "image", "nginx", "held", "CAP_CHOWN");
  struct observe_count c = {
    .id = ID,
    .engine = "containerd",
    .identity = identity,
    .cap = 13,
    .granted = true,
    .count = 3,
    .first = "2026-12-04T10:00:00.000Z",
    .last = "2026-12-04T10:00:01.000Z",
    .since = "2026-12-04T09:59:50.000Z",
    .until = "2026-12-04T10:00:10.000Z",
  };
  json_auto_t *rec = observe_record (&c);
  cleanup_error struct error *err = NULL;

  EXPECT (observe_record_check (rec, &err) == 0);
  EXPECT_STR (json_string_value (json_object_get (rec, "capability")), "CAP_NET_RAW");
  EXPECT_STR (json_string_value (json_object_get (rec, "result")), "used");
  EXPECT (json_is_null (json_object_get (rec, "container")));
  EXPECT (json_array_size (json_object_get (rec, "held")) == 1);
  return 0;
}

#define GOOD                                                                                       \
  "\"time\":\"t\",\"kind\":\"observed\",\"id\":\"i\",\"engine\":\"e\",\"first\":\"f\","            \
  "\"last\":\"l\",\"since\":\"s\",\"namespace\":null,\"pod\":null,\"container\":null,"             \
  "\"image\":null,\"in_user_namespace\":false"

static int
test_record_rejects (void)
{
  EXPECT (check ("{" GOOD ",\"capability\":\"CAP_CHOWN\",\"result\":\"used\",\"count\":1}", NULL)
          == 0);
  EXPECT (
      check ("{" GOOD ",\"capability\":\"CHOWN\",\"result\":\"used\",\"count\":1}", "`capability`")
      == 0);
  EXPECT (
      check ("{" GOOD ",\"capability\":\"CAP_CHOWN\",\"result\":\"maybe\",\"count\":1}", "`result`")
      == 0);
  EXPECT (
      check ("{" GOOD ",\"capability\":\"CAP_CHOWN\",\"result\":\"used\",\"count\":0}", "`count`")
      == 0);
  EXPECT (check ("{" GOOD ",\"capability\":\"CAP_CHOWN\",\"result\":\"used\",\"count\":\"1\"}",
                 "`count`")
          == 0);
  EXPECT (check ("{" GOOD ",\"capability\":\"CAP_CHOWN\",\"result\":\"used\",\"count\":1,"
                 "\"held\":[\"CAP_NOPE\"]}",
                 "`held`")
          == 0);
  EXPECT (check ("{\"kind\":\"decision\"}", "not an observation record") == 0);
  EXPECT (check ("[]", "not an observation record") == 0);
  EXPECT (check ("{\"kind\":\"observed\",\"time\":1}", "`time`") == 0);
  return 0;
}

TAP_MAIN (T (test_attach_choice), T (test_container_of), T (test_record_round_trip),
          T (test_record_rejects))
