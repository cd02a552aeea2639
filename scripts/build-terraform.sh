#!/usr/bin/env bash
# Builds Terraform VERSION from the Go module proxy into OUT, for the tests that
# need a Terraform the machine does not have (actions need >= 1.14).
#
#   scripts/build-terraform.sh v1.15.0 "$HOME/.cache/terraform-provider-cvm-ci/bin/terraform-1.15"
#
# `go install github.com/hashicorp/terraform@VERSION` refuses the module's replace
# directives, and a plain `go build` in the downloaded module fails: the module
# zip lacks the nested modules its go.mod replaces with local folders (the
# remote-state backends azure, consul, cos, gcs, kubernetes, oci, oss, pg, s3,
# and internal/legacy). So this copies the module, drops those
# require/replace lines and the backends' registrations in
# internal/backend/init/init.go, and builds. The local backend (all the tests
# use), http, inmem, remote and cloud stay.
set -euo pipefail

version=${1:?usage: build-terraform.sh VERSION OUT}
out=${2:?usage: build-terraform.sh VERSION OUT}

src=$(go mod download -json "github.com/hashicorp/terraform@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -n "$src" ] || { echo "build-terraform.sh: the Go module proxy did not serve github.com/hashicorp/terraform@$version" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/terraform-build.XXXXXX")
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
cp -R "$src/." "$work/"
chmod -R u+w "$work"

missing=()
for dir in azure consul cos gcs kubernetes oci oss pg s3; do
  [ -f "$work/internal/backend/remote-state/$dir/go.mod" ] || missing+=("$dir")
done
for dir in "${missing[@]}"; do
  # the require and replace lines in go.mod, and the import and registration in init.go
  sed -i "\#github.com/hashicorp/terraform/internal/backend/remote-state/$dir[ \"]#d" "$work/go.mod" "$work/internal/backend/init/init.go"
done
sed -i -E '/^[[:space:]]*"('"$(IFS='|'; echo "${missing[*]}" | sed 's/azure/azurerm/')"')":[[:space:]]+func\(\) backend\.Backend/d' "$work/internal/backend/init/init.go"
if [ ! -f "$work/internal/legacy/go.mod" ]; then
  sed -i '\#github.com/hashicorp/terraform/internal/legacy[ =]#d' "$work/go.mod"
fi

# version.dev=no, as a release build sets it: without it the binary calls
# itself VERSION-dev, a prerelease that version checks treat differently.
(cd "$work" && GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w -X github.com/hashicorp/terraform/version.dev=no" -o "$out" .)
"$out" version
