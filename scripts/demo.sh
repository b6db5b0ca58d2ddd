#!/usr/bin/env bash
# Applies examples/demo against a Runner API emulator on loopback, then prints
# the table that the configuration builds from the job's executions.
#
# Run it with `make demo`, which makes sure a Terraform CLI exists and passes
# it in as TERRAFORM. Everything the demo writes stays in .demo/: the emulator's
# URL and log, a Terraform CLI configuration and the working folder with state.
# Nothing outside this machine is contacted.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

terraform="${TERRAFORM:-$(command -v terraform || true)}"
if [[ -z "$terraform" || ! -x "$terraform" ]]; then
	echo "demo: no Terraform CLI found; run 'make demo', which installs one into bin/" >&2
	exit 1
fi

# The demo configures the provider itself: settings of the caller's shell
# (a token, an account, a timeout) must not leak into it.
while IFS= read -r name; do
	unset "$name"
done < <(compgen -e | grep '^CLC_' || true)

bin="$root/bin"
demo="$root/.demo"
url_file="$demo/emulator.url"
log_file="$demo/emulator.log"
emulator_pid=""

cleanup() {
	local status=$?
	if [[ -n "$emulator_pid" ]]; then
		kill "$emulator_pid" 2>/dev/null || true
		wait "$emulator_pid" 2>/dev/null || true
	fi
	if [[ $status -ne 0 && -f "$log_file" ]]; then
		echo "demo: failed; last lines of $log_file:" >&2
		tail -n 40 "$log_file" >&2 || true
	fi
	exit "$status"
}
trap cleanup EXIT

echo "==> Building the provider and the emulator"
go build -o "$bin/terraform-provider-clc" .
go build -o "$bin/runner-emulator" ./internal/emulator/cmd/runner-emulator

rm -rf "$demo"
mkdir -p "$demo/work"

echo "==> Starting the emulator on 127.0.0.1"
"$bin/runner-emulator" \
	-listen 127.0.0.1:0 \
	-url-file "$url_file" \
	-username demo \
	-password demo-password \
	>"$log_file" 2>&1 </dev/null &
emulator_pid=$!

# The emulator writes its URL once it is listening; give it about 20 seconds.
for _ in $(seq 1 100); do
	if [[ -s "$url_file" ]]; then
		break
	fi
	if ! kill -0 "$emulator_pid" 2>/dev/null; then
		echo "demo: the emulator exited before it was ready" >&2
		exit 1
	fi
	sleep 0.2
done
if [[ ! -s "$url_file" ]]; then
	echo "demo: the emulator did not write $url_file within 20 seconds" >&2
	exit 1
fi
emulator_url="$(head -n 1 "$url_file")"
echo "    listening at $emulator_url"

# A CLI configuration of the demo's own, so ~/.terraformrc is never read or
# changed. dev_overrides makes Terraform use the provider just built, without
# `terraform init` and without any registry.
cat >"$demo/terraformrc" <<EOF
provider_installation {
  dev_overrides {
    "registry.terraform.io/clc-tf/clc" = "$bin"
  }
  direct {}
}
EOF

export TF_CLI_CONFIG_FILE="$demo/terraformrc"
export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1
export CLC_API_URL="$emulator_url"
export CLC_RUNNER_URL="$emulator_url"
export CLC_USERNAME=demo
export CLC_PASSWORD=demo-password

cp examples/demo/*.tf "$demo/work/"

echo "==> terraform apply"
"$terraform" -chdir="$demo/work" apply -auto-approve -input=false -compact-warnings

echo
echo "==> terraform output -raw summary"
"$terraform" -chdir="$demo/work" output -raw summary
