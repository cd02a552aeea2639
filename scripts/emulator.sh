# Sourced by the scripts that run terraform against a local cvm-emulator:
#   make_workdir NAME          a temporary directory $work (NAME.XXXXXX), removed
#                              on exit with the emulator stopped; INT and TERM
#                              end the script through that exit
#   build_local BINDIR         the provider and cvm-emulator, built into BINDIR
#   write_cli_config FILE DIR  a CLI configuration taking cvmkit/cvm from DIR
#                              (dev_overrides: no registry, no init)
#   start_emulator BIN LOGDIR ARGS...  starts BIN on a free port of 127.0.0.1
#                              with ARGS, waits for its "listening on" line and
#                              sets emulator_url
#   stop_emulator              stops it (make_workdir's exit trap calls it)
emulator_pid=""
emulator_url=""
work=""

make_workdir() {
  work="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
  trap cleanup_workdir EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

cleanup_workdir() {
  stop_emulator
  rm -rf "$work"
}

build_local() {
  mkdir -p "$1"
  go build -o "$1/terraform-provider-cvm" .
  go build -o "$1/cvm-emulator" ./cmd/cvm-emulator
}

write_cli_config() {
  cat >"$1" <<RC
provider_installation {
  dev_overrides {
    "cvmkit/cvm" = "$2"
  }
  direct {}
}
RC
}

start_emulator() {
  local bin="$1" logdir="$2"
  shift 2
  "$bin" --listen 127.0.0.1:0 "$@" >"$logdir/emulator.out" 2>"$logdir/emulator.log" &
  emulator_pid=$!
  for _ in $(seq 1 100); do
    emulator_url="$(sed -n 's/^cvm-emulator listening on //p' "$logdir/emulator.out")"
    [ -n "$emulator_url" ] && return 0
    kill -0 "$emulator_pid" 2>/dev/null || { cat "$logdir/emulator.log" >&2; return 1; }
    sleep 0.1
  done
  echo "the emulator did not start:" >&2
  cat "$logdir/emulator.log" >&2
  return 1
}

stop_emulator() {
  if [ -n "$emulator_pid" ] && kill -0 "$emulator_pid" 2>/dev/null; then
    kill -TERM "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
}
