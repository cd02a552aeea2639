#!/usr/bin/env bash
# make test-examples: `terraform test` on examples/module-tests, the worked
# example of testing a module offline, against a fresh cvm-emulator serving
# the example's data file, as a user's CI job would run it. TF=tofu runs
# `tofu test` instead. The provider is the local build, through a temporary
# CLI configuration (dev_overrides); nothing is written to the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

tf="${TF:-terraform}"
command -v "$tf" >/dev/null 2>&1 || { echo "test-examples: $tf is not on PATH (set TF=/path/to/terraform or tofu)" >&2; exit 1; }
# mock_provider needs Terraform 1.7 or OpenTofu 1.8.
version="$(TF_CLI_CONFIG_FILE=/dev/null "$tf" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9.]*\).*/\1/p')"
major="${version%%.*}" rest="${version#*.}" minor="${rest%%.*}"
if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 7 ]; }; then
  echo "test-examples: $tf $version is older than 1.7; the mocked tests need mock_provider (Terraform 1.7, OpenTofu 1.8)" >&2
  exit 1
fi

. scripts/emulator.sh
make_workdir cvm-test-examples
mkdir -p "$work/home"
build_local "$work/bin"
cp -R examples/module-tests "$work/module"

start_emulator "$work/bin/cvm-emulator" "$work" --data examples/module-tests/emulator-data.json
url="$emulator_url"
write_cli_config "$work/cli.tfrc" "$work/bin"

echo "==> $(basename "$tf") $version: test examples/module-tests against the emulator at $url"
# Only what the test needs: no credentials of this machine's, no plugin cache.
env -i PATH="$PATH" HOME="$work/home" TMPDIR="${TMPDIR:-/tmp}" TF_CLI_CONFIG_FILE="$work/cli.tfrc" \
  TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 \
  TENCENTCLOUD_CVM_ENDPOINT="$url" TENCENTCLOUD_SECRET_ID=AKIDemulator TENCENTCLOUD_SECRET_KEY=emulator-secret \
  "$tf" -chdir="$work/module" test -no-color 2>&1
# set -e has ended the script if a test failed; passing tests must also have
# reached the emulator, or they tested nothing of it.
requests="$(grep -c 'api request' "$work/emulator.log" || true)"
if [ "$requests" -eq 0 ]; then
  echo "test-examples: the tests passed without a request reaching the emulator" >&2
  exit 1
fi
