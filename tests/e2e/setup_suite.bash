# SPDX-License-Identifier: GPL-2.0-or-later
# Fails loudly when what every test needs is missing.
setup_suite ()
{
  bats_require_minimum_version 1.5.0
  [ -x "${CAPGUARD:-}" ] || { echo "CAPGUARD=${CAPGUARD:-} is not an executable" >&2; return 1; }
  [ -d "${FIXTURES:-}/bundles" ] || { echo "FIXTURES=${FIXTURES:-} has no bundles/" >&2; return 1; }
  command -v jq >/dev/null || { echo "jq is required (apt-get install jq)" >&2; return 1; }
}
