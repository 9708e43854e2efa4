/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CAPGUARD_FIELDS_H
#define CAPGUARD_FIELDS_H

/* The fields of a container's identity that rules match, one list for the
   config's facts (oci.h) and the policy's rules (policy.h): first the
   Kubernetes ones, which oci.c normalises from the annotations an engine
   vouches for (SPEC §4), then the command.  */
enum field
{
  FIELD_NAMESPACE,
  FIELD_POD,
  FIELD_CONTAINER,
  FIELD_IMAGE,
  FIELD_KUBERNETES_COUNT, /* the fields from annotations end here */
  FIELD_COMMAND = FIELD_KUBERNETES_COUNT,
  FIELD_COUNT
};

/* "namespace", "pod", "container", "image", "command": the match keys.  */
const char *field_name (enum field field);

#endif
