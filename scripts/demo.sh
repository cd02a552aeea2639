#!/usr/bin/env bash
# make demo: build the provider and the emulator, start the emulator with a
# demo data set, and run `terraform plan` on examples/demo against it through
# a temporary CLI configuration (dev_overrides: no registry, no init).
# Everything it writes goes to a temporary directory, removed on exit;
# interrupting it stops the emulator too.
set -euo pipefail
cd "$(dirname "$0")/.."

terraform_bin="${TERRAFORM:-terraform}"
if ! command -v "$terraform_bin" >/dev/null 2>&1; then
  echo "demo: terraform is not on PATH (set TERRAFORM=/path/to/terraform)." >&2
  exit 1
fi

. scripts/emulator.sh
make_workdir cvm-demo

# Bold headings on a terminal; plain text in logs (CI keeps the demo's output).
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }

say "Building the provider and the emulator"
build_local "$work/bin"

say "Starting cvm-emulator: 6 named instances and 1,000 generated ones in ap-guangzhou"
start_emulator "$work/bin/cvm-emulator" "$work" --data examples/demo/emulator-data.json --instances 1000 --seed 7
url="$emulator_url"
echo "listening on $url"

write_cli_config "$work/terraformrc" "$work/bin"
cp examples/demo/main.tf "$work/"

say "terraform plan (examples/demo)"
TF_CLI_CONFIG_FILE="$work/terraformrc" \
TF_IN_AUTOMATION=1 \
TENCENTCLOUD_CVM_ENDPOINT="$url" \
TENCENTCLOUD_SECRET_ID=AKIDemulator \
TENCENTCLOUD_SECRET_KEY=emulator-secret \
  "$terraform_bin" -chdir="$work" plan -input=false -no-color 2>&1 \
  | awk '/Provider development overrides are in effect/ {skip=1} !skip {print} skip && /releases\.$/ {skip=0}'

# With pipefail, a plan that failed (a precondition included) has ended the
# script before this point.
say "What the plan showed"
cat <<'SHOWN'
- terraform_data.release is planned because its precondition held: every web instance is RUNNING
  and none is missing. A STOPPED web instance would have stopped the plan with its error_message.
- web_not_ready: ins-web00002 is RUNNING but not ready for a deploy (include = ["operation", "agent"]):
  its latest ResetInstance failed and its TAT agent is offline. The precondition above gates on
  states only; one on length(data.cvm_instances_status.web.not_ready) == 0 would have stopped the
  release and named both reasons (examples/readiness-gate).
- The check block "batch_workers_running" warned about the batch workers without stopping the plan.
- The outputs: the web tier as a table, and fleet_size and fleet_state_counts over the whole region.
SHOWN

say "What the emulator saw"
curl -fsS "$url/_emulator/stats" 2>/dev/null || true
echo

cat <<'NEXT'

==> Next
- examples/demo/main.tf is the configuration you just planned; examples/ has more.
- Against Tencent Cloud, the same configuration needs only credentials and real IDs (and the
  permissions cvm:DescribeInstancesStatus, cvm:DescribeInstances and tat:DescribeAutomationAgentStatus,
  the last two for the web tier's include = ["operation", "agent"]):
    export TENCENTCLOUD_SECRET_ID=AKID... TENCENTCLOUD_SECRET_KEY=...
    terraform -chdir=examples/demo init
    terraform -chdir=examples/demo plan -var 'web_instance_ids=["ins-..."]' -var 'batch_instance_ids=["ins-..."]'
- Your own configurations can be tested offline the same way: run
    go run ./cmd/cvm-emulator --instances 1000
  and, in the shell that runs terraform, point the provider at it with the emulator's keys:
    export TENCENTCLOUD_CVM_ENDPOINT=http://127.0.0.1:9100
    export TENCENTCLOUD_SECRET_ID=AKIDemulator TENCENTCLOUD_SECRET_KEY=emulator-secret
  (without keys the provider stops at "No Usable Tencent Cloud Credentials"; see README.md).
NEXT
