# Sourced by the scripts that run terraform against a local cvm-emulator:
# start_emulator BIN LOGDIR ARGS... starts BIN on a free port of 127.0.0.1
# with ARGS, waits for its "listening on" line and sets emulator_url;
# stop_emulator stops it (call it from an EXIT trap).
emulator_pid=""
emulator_url=""

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
