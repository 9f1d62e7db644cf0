#!/usr/bin/env bash
# Metric store ingest benchmark (issue 11): one carbon plaintext feed of
# statsd-like series, time-ordered, sent over ONE TCP connection to Hourglass
# and then to Debian's victoria-metrics (-graphiteListenAddr), one after the
# other. For each: points/s from the first byte sent until the last point is
# readable over HTTP, disk bytes per point after a clean stop (du of the whole
# data dir after SIGTERM and exit), and peak RSS (VmHWM before the stop).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

series=10000
hours=5
hourglass_bin=""
feed_bin=""
vm_bin=/usr/bin/victoria-metrics
base_dir=${TMPDIR:-/tmp}
keep_dir=0
timeout=3600
receivers=(hourglass victoria-metrics)

usage() {
  cat >&2 <<'EOF'
usage: bench/store_ingest.sh [options]
  --series N             series in the feed (default 10000)
  --hours H              hours of points at 10 s steps (default 5)
  --hourglass PATH       hourglass binary (default: build-bench/ or build/ server/hourglass)
  --feed PATH            carbon_feed binary (default: build-bench/ or build/ bench/carbon_feed)
  --victoria-metrics P   victoria-metrics binary (default /usr/bin/victoria-metrics)
  --receivers "A B"      which to run, in order (default "hourglass victoria-metrics")
  --dir DIR              where the feed and data dirs go (default $TMPDIR or /tmp)
  --timeout S            give up waiting for the last point after S seconds (default 3600)
  --keep                 keep the feed, data dirs and logs
  --set KEY=VALUE        passed to hourglass serve (repeatable), e.g.
                         --set store.retentions=10s:30d (raw points only, as
                         VictoriaMetrics keeps them)
EOF
  exit 2
}

die() { echo "store_ingest: $*" >&2; exit 1; }

hourglass_sets=()
while (($#)); do
  case "$1" in
    --series) shift; series=$1 ;;
    --hours) shift; hours=$1 ;;
    --hourglass) shift; hourglass_bin=$1 ;;
    --feed) shift; feed_bin=$1 ;;
    --victoria-metrics) shift; vm_bin=$1 ;;
    --receivers) shift; read -r -a receivers <<<"$1" ;;
    --dir) shift; base_dir=$1 ;;
    --timeout) shift; timeout=$1 ;;
    --keep) keep_dir=1 ;;
    --set) shift; hourglass_sets+=(--set "$1") ;;
    -h|--help) usage ;;
    *) echo "store_ingest: unknown option $1" >&2; usage ;;
  esac
  shift
done
[[ $series =~ ^[1-9][0-9]*$ && $hours =~ ^[1-9][0-9]*$ ]] || die "--series and --hours must be positive integers"

find_built() {  # find_built RELPATH: the first build tree that has it
  local d
  for d in build-bench build; do
    if [[ -x $REPO_DIR/$d/$1 ]]; then echo "$REPO_DIR/$d/$1"; return; fi
  done
}
[[ -n $feed_bin ]] || feed_bin=$(find_built bench/carbon_feed)
[[ -n $feed_bin && -x $feed_bin ]] || die "carbon_feed not found: ninja -C build carbon_feed, or pass --feed"
for r in "${receivers[@]}"; do
  case $r in
    hourglass)
      [[ -n $hourglass_bin ]] || hourglass_bin=$(find_built server/hourglass)
      [[ -n $hourglass_bin && -x $hourglass_bin ]] || die "hourglass not found: ninja -C build hourglass, or pass --hourglass" ;;
    victoria-metrics)
      [[ -x $vm_bin ]] || die "$vm_bin not found: apt-get install victoria-metrics" ;;
    *) die "unknown receiver $r (hourglass or victoria-metrics)" ;;
  esac
done
command -v curl >/dev/null || die "curl not found"

mkdir -p "$base_dir"
work=$(mktemp -d "$base_dir/hourglass-store-ingest.XXXXXX")
recv_pid=""
stop_receiver() {  # SIGTERM the process this script started and wait for its exit
  if [[ -n $recv_pid ]]; then
    kill -TERM "$recv_pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 1200; i++)); do kill -0 "$recv_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$recv_pid" 2>/dev/null; then
      echo "store_ingest: pid $recv_pid still running 120 s after SIGTERM; killing it" >&2
      kill -KILL "$recv_pid" 2>/dev/null || true
    fi
    wait "$recv_pid" 2>/dev/null || true
    recv_pid=""
  fi
}
cleanup() {
  stop_receiver
  if ((keep_dir)); then echo "# kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # wait_port PORT LOG: until something listens on 127.0.0.1:PORT
  local i
  for ((i = 0; i < 300; i++)); do
    kill -0 "$recv_pid" 2>/dev/null || { tail -20 "$2" >&2; die "receiver exited at start"; }
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  tail -20 "$2" >&2
  die "nothing listens on 127.0.0.1:$1 after 30 s"
}

# ---- the feed: generated once, before any clock starts -----------------------
# Timestamps end at the last whole hour, so the default retentions of both
# receivers (Hourglass 10s:6h, VictoriaMetrics 1 month) keep every point.
now=$(date +%s)
start=$(((now / 3600) * 3600 - hours * 3600))
feed=$work/feed.txt
read -r points_kv bytes_kv last_kv stamp_kv < <("$feed_bin" --out "$feed" --series "$series" --hours "$hours" --start "$start")
points=${points_kv#points=}
feed_bytes=${bytes_kv#bytes=}
last_series=${last_kv#last_series=}
last_ts=${stamp_kv#last_timestamp=}
echo "# feed: $points points, $feed_bytes bytes, $series series x $hours h at 10 s, last $last_series @ $last_ts" >&2

# send_and_wait PORT CHECK_CMD...: streams the feed over one connection, then
# runs CHECK_CMD until it succeeds; prints the seconds from the first byte.
send_and_wait() {
  local port=$1
  shift
  python3 - "$feed" "$port" "$timeout" "$@" <<'EOF'
import socket, subprocess, sys, time
feed, port, timeout, check = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4:]
with open(feed, "rb") as f, socket.create_connection(("127.0.0.1", port)) as sock:
    t0 = time.monotonic()
    sock.sendfile(f)
    sock.shutdown(socket.SHUT_WR)
    sent = time.monotonic() - t0
while subprocess.run(check, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
    if time.monotonic() - t0 > timeout:
        sys.exit(f"store_ingest: last point not readable after {timeout} s")
    time.sleep(0.05)
print(f"{time.monotonic() - t0:.3f} {sent:.3f}")
EOF
}

results=()
run_receiver() {  # run_receiver NAME: start, feed, measure, stop; appends to results
  local name=$1 dir=$work/$1 log=$work/$1.log carbon_port http_port check elapsed sent hwm disk
  mkdir -p "$dir"
  carbon_port=$(free_port)
  http_port=$(free_port)
  case $name in
    hourglass)
      "$hourglass_bin" serve --set data_dir="$dir" --set carbon.listen="127.0.0.1:$carbon_port" \
        --set http.listen="127.0.0.1:$http_port" --set statsd.listen=127.0.0.1:0 \
        --set syslog.listen=127.0.0.1:0 --set syslog.udp_listen=127.0.0.1:0 "${hourglass_sets[@]}" >"$log" 2>&1 &
      recv_pid=$!
      # The last point is readable when render returns a non-null value at last_ts.
      check=(sh -c "curl -sf 'http://127.0.0.1:$http_port/render?target=$last_series&from=$((last_ts - 60))&until=$((last_ts + 10))&format=json' |
        python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if any(v is not None and t == $last_ts for s in d for v, t in s[\"datapoints\"]) else 1)'")
      ;;
    victoria-metrics)
      "$vm_bin" -storageDataPath="$dir" -graphiteListenAddr="127.0.0.1:$carbon_port" \
        -httpListenAddr="127.0.0.1:$http_port" -retentionPeriod=1 >"$log" 2>&1 &
      recv_pid=$!
      # /api/v1/export returns raw samples (no -search.latencyOffset), in ms.
      check=(sh -c "curl -sf 'http://127.0.0.1:$http_port/api/v1/export' --data-urlencode 'match[]={__name__=\"$last_series\"}' \
        --data-urlencode 'start=$((last_ts - 60))' --data-urlencode 'end=$((last_ts + 10))' | grep -q '${last_ts}000[],]'")
      ;;
  esac
  wait_port "$carbon_port" "$log"
  wait_port "$http_port" "$log"
  read -r elapsed sent < <(send_and_wait "$carbon_port" "${check[@]}")
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$recv_pid/status")  # kB
  stop_receiver
  disk=$(du -sb "$dir" | cut -f1)
  echo "# $name: sent in $sent s, last point readable after $elapsed s, disk $disk bytes, VmHWM $hwm kB" >&2
  results+=("$name $elapsed $disk $hwm")
}

for r in "${receivers[@]}"; do run_receiver "$r"; done

# ---- summary ----------------------------------------------------------------
python3 - "$points" "${results[@]}" <<'EOF'
import sys
points = int(sys.argv[1])
rows = [r.split() for r in sys.argv[2:]]
print(f"feed: {points} points, one TCP connection, time-ordered")
print(f"| receiver | M points/s (sent until readable) | seconds | disk bytes/point after clean stop | disk MB | peak RSS MB |")
print("|---|---|---|---|---|---|")
figures = {}
for name, elapsed, disk, hwm in rows:
    rate = points / float(elapsed)
    figures[name] = (rate, int(disk) / points, int(hwm) / 1024)
    print(f"| {name} | {rate / 1e6:.3f} | {float(elapsed):.1f} | {int(disk) / points:.2f} | {int(disk) / 1e6:.1f} | {int(hwm) / 1024:.0f} |")
if "hourglass" in figures and "victoria-metrics" in figures:
    h, v = figures["hourglass"], figures["victoria-metrics"]
    print(f"ratio victoria-metrics/hourglass: ingest {v[0] / h[0]:.2f}x, "
          f"hourglass/victoria-metrics: disk {h[1] / v[1]:.2f}x, peak RSS {h[2] / v[2]:.2f}x")
EOF
