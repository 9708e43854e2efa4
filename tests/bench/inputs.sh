#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Writes the benchmark's inputs into DIR: configs (runc spec 3 KB, podman default 10 KB, podman
# privileged, a generated 1 MB) and policies with 1, 10 and 1000 rules.   bash inputs.sh DIR
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
dir=$1
mkdir -p "$dir"
chmod 755 "$dir"
jq -c . "$top/tests/fixtures/bundles/runc-spec/config.json" > "$dir/runc-spec.json"
jq -c . "$top/tests/fixtures/bundles/podman-default/config.json" > "$dir/podman-default.json"
jq -c . "$top/tests/fixtures/bundles/podman-privileged/config.json" > "$dir/podman-privileged.json"
# 1 MB: podman's config with a large environment, as a fat image's can be.
jq -c '.process.env += [range(0; 14000) | "VARIABLE_\(.)=some value of the variable number \(.)"]' \
  "$top/tests/fixtures/bundles/podman-default/config.json" > "$dir/generated-1mb.json"
for n in 1 10 1000 10000; do
  jq --argjson n "$n" '.log.syslog = false
    | .rules = [range(0; $n - 1) | {name: "r\(.)", match: {namespace: "team-\(.)", container: "app-\(.)|worker-\(.)"},
                                    capabilities: {add: ["NET_RAW"]}}] + .rules' \
    "$top/policy/default.json" > "$dir/policy-$n.json"
  chmod 644 "$dir/policy-$n.json"
done
