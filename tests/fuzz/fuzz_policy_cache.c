/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy cache's decoder on arbitrary payloads (sealed, so that the
   fuzzer gets past the hash): refused or decoded, never a crash.  And every
   policy the parser accepts comes back from its entry as it went in.  */
#include <stdlib.h>
#include <string.h>

#include "policy_cache.h"
#include "policy_internal.h"
#include "util.h"

int LLVMFuzzerTestOneInput (const unsigned char *data, size_t size);

static void
decode_payload (const unsigned char *data, size_t size)
{
  struct policy_cache_key key;
  cleanup_free char *entry = NULL, *text = xstrdup ("{}");
  cleanup_policy struct policy *p = NULL;
  struct policy_subject s = { 0 };
  const char *broken;
  size_t len;

  if (policy_cache_key ("fuzz", text, strlen (text), 40, &key) < 0)
    abort ();
  entry = policy_cache_seal (&key, (const char *)data, size, &len);
  p = policy_cache_decode (&entry, len, &key, "fuzz", &text, 2);
  if (p == NULL)
    return;
  s.fields[FIELD_NAMESPACE] = "kube-system";
  s.fields[FIELD_COMMAND] = "/bin/sh";
  policy_select (p, &s, &broken);
}

static void
round_trip (const unsigned char *data, size_t size)
{
  cleanup_error struct error *err = NULL;
  cleanup_policy struct policy *p = policy_parse ((const char *)data, size, "fuzz", 40, 0, &err);
  cleanup_policy struct policy *q = NULL;
  cleanup_free char *entry = NULL, *again = NULL, *text = NULL;
  struct policy_cache_key key;
  size_t len, len2;

  if (p == NULL)
    return;
  if (policy_cache_key ("fuzz", p->text, p->text_len, 40, &key) < 0)
    abort ();
  entry = policy_cache_encode (p, &key, &len);
  text = xmalloc0 (p->text_len + 1);
  memcpy (text, p->text, p->text_len);
  q = policy_cache_decode (&entry, len, &key, "fuzz", &text, p->text_len);
  if (q == NULL)
    __builtin_trap ();
  again = policy_cache_encode (q, &key, &len2);
  entry = policy_cache_encode (p, &key, &len);
  if (len != len2 || memcmp (entry, again, len) != 0)
    __builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const unsigned char *data, size_t size)
{
  decode_payload (data, size);
  round_trip (data, size);
  return 0;
}
