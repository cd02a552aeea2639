#!/usr/bin/env bash
# make test-examples: runs the CI recipe of README.md, the shell block marked
# "ci-recipe", exactly as written, in a copy of examples/module-tests: it
# starts cvm-emulator, waits for it, and runs `terraform init && terraform
# test`. The local build stands in for the registry: `terraform init`
# installs it from a filesystem mirror named in a temporary CLI
# configuration. TF=tofu runs the recipe with OpenTofu as its `terraform`.
#
# It also checks that the recipe stands, the same, in
# examples/module-tests/README.md and the emulator guide, and that it fails
# fast, with the emulator's own error, when the emulator cannot start.
# Nothing is written to the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

tf="${TF:-terraform}"
tf_path="$(command -v "$tf" 2>/dev/null)" || { echo "test-examples: $tf is not on PATH (set TF=/path/to/terraform or tofu)" >&2; exit 1; }
# mock_provider needs Terraform 1.7 or OpenTofu 1.8.
version="$(TF_CLI_CONFIG_FILE=/dev/null "$tf_path" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([0-9.]*\).*/\1/p')"
major="${version%%.*}" rest="${version#*.}" minor="${rest%%.*}"
if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 7 ]; }; then
  echo "test-examples: $tf $version is older than 1.7; the mocked tests need mock_provider (Terraform 1.7, OpenTofu 1.8)" >&2
  exit 1
fi

# recipe FILE prints the shell block that follows the ci-recipe marker.
recipe() {
  awk '/^<!-- ci-recipe/ {marked=1; next}
       marked && /^```shell$/ {inside=1; next}
       inside && /^```$/ {exit}
       inside {print}' "$1"
}
block="$(recipe README.md)"
[ -n "$block" ] || { echo "test-examples: README.md has no ci-recipe block" >&2; exit 1; }
for copy in examples/module-tests/README.md templates/guides/emulator.md.tmpl; do
  if [ "$(recipe "$copy")" != "$block" ]; then
    echo "test-examples: the ci-recipe block of $copy differs from README.md's; make them the same:" >&2
    diff <(echo "$block") <(recipe "$copy") >&2 || true
    exit 1
  fi
done

. scripts/emulator.sh
make_workdir cvm-test-examples
mkdir -p "$work/home"
build_local "$work/bin"
[ "$(basename "$tf_path")" = terraform ] || ln -s "$tf_path" "$work/bin/terraform"

# The registry, played by a filesystem mirror holding the local build under
# both registries' addresses (OpenTofu reads cvmkit/cvm as registry.opentofu.org's).
platform="$(go env GOOS)_$(go env GOARCH)"
for host in registry.terraform.io registry.opentofu.org; do
  mkdir -p "$work/mirror/$host/cvmkit/cvm/0.0.1/$platform"
  cp "$work/bin/terraform-provider-cvm" "$work/mirror/$host/cvmkit/cvm/0.0.1/$platform/terraform-provider-cvm_v0.0.1"
done
cat >"$work/cli.tfrc" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$work/mirror"
    include = ["registry.terraform.io/cvmkit/cvm", "registry.opentofu.org/cvmkit/cvm"]
  }
}
RC

# run_recipe DIR runs the recipe in DIR as a CI job's shell step does (bash
# -e), with nothing of this machine's environment but PATH and TMPDIR. A
# bound of its own, so that a recipe that hangs fails this script instead.
run_recipe() {
  (cd "$1" && env -i PATH="$work/bin:$PATH" HOME="$work/home" TMPDIR="${TMPDIR:-/tmp}" TF_CLI_CONFIG_FILE="$work/cli.tfrc" \
    TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1 timeout 300 bash -e -c "$block")
}

echo "==> $(basename "$tf_path") $version: the README's CI recipe in a copy of examples/module-tests"
cp -R examples/module-tests "$work/module"
run_recipe "$work/module" 2>&1
# Passing tests must also have reached the emulator, or they tested nothing of it.
if ! grep -q 'api request' "$work/module/emulator.log"; then
  echo "test-examples: the tests passed without a request reaching the emulator" >&2
  exit 1
fi

echo "==> the recipe with a data file the emulator refuses: it must fail at once and show why"
cp -R examples/module-tests "$work/broken"
echo '{"regions": {"ap-guangzhou": [' >"$work/broken/emulator-data.json"
status=0
run_recipe "$work/broken" >"$work/broken.out" 2>&1 || status=$?
if [ "$status" -eq 0 ] || [ "$status" -eq 124 ] \
  || ! grep -q 'cvm-emulator did not start' "$work/broken.out" || ! grep -q 'emulator-data.json' "$work/broken.out"; then
  echo "test-examples: with a broken data file the recipe exited $status (124: it hung), and did not show the emulator's error:" >&2
  cat "$work/broken.out" >&2
  exit 1
fi
sed 's/^/    /' "$work/broken.out"
echo "test-examples: the recipe passed, and failed at once with the emulator's error when the emulator could not start"
