#!/usr/bin/env bash
# syslog_throughput.sh: sustained syslog messages/s written to the hourly file,
# hourglass against rsyslog (imtcp into an hourly dynafile) in one run.
#
# For each receiver (rsyslog, and hourglass with a given audit.format and
# audit.fsync) it starts the receiver pinned to --recv-cpu with a fresh data
# directory, sends --count RFC 5424 messages of --size bytes over
# --connections TCP connections with bench/syslog_loadgen pinned to
# --gen-cpu, waits until every message is in the hourly file, and reports
# messages/s from the first byte sent to the last write into the file, the
# receiver's CPU time, and whether every sequence number arrived exactly once.
# See bench/README.md. Prints figures; never fails on a slow result (it does
# exit non-zero when a receiver lost or duplicated messages).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
PY=/usr/bin/python3

receivers=(rsyslog hourglass:raw:interval hourglass:json:interval hourglass:json:never)
count=5000000
connections=4
size=200
framings=(octet)
batch=256
rounds=1
recv_cpu=1
gen_cpu=0
settle=2
timeout=120
rsyslog_template=bench_rawmsg
hourglass_bin=""
loadgen_bin=""
rsyslogd_bin=""
hourglass_sets=()
base_dir=/tmp
keep_dir=0

usage() {
  cat <<'EOF'
usage: bench/syslog_throughput.sh [options]
  --receivers "R1 R2 ..."    what to measure, in this order (default:
                             "rsyslog hourglass:raw:interval hourglass:json:interval hourglass:json:never");
                             hourglass:FORMAT:FSYNC with FORMAT raw|json, FSYNC interval|never|always
  --count N                  messages per trial (default 5000000)
  --connections N            TCP connections (default 4)
  --size BYTES               bytes per message, framing excluded (default 200)
  --framing "octet lf"       framing(s): octet (RFC 6587 octet counting), lf, or both (default octet)
  --batch N                  messages per write() in the generator (default 256)
  --rounds N                 repeat the whole list N times, interleaved; reports the median (default 1)
  --recv-cpu LIST            taskset CPU list for the receiver (default 1)
  --gen-cpu LIST             taskset CPU list for the generator and the poller (default 0)
  --settle S                 the files must not grow for S seconds to count as done (default 2)
  --timeout S                give up waiting S seconds after the generator finished (default 120)
  --rsyslog-template NAME    bench_rawmsg (default: the message as received) or
                             RSYSLOG_FileFormat (rsyslog's own file format)
  --dir DIR                  where the data directories go (default /tmp); its disk decides
                             what fsync costs
  --hourglass PATH           hourglass binary (default: build-sbench, build-bench, then build)
  --loadgen PATH             syslog_loadgen binary (default: found under build*/bench)
  --rsyslogd PATH            rsyslogd binary (default: rsyslogd on PATH or /usr/sbin/rsyslogd)
  --set KEY=VALUE            extra --set for hourglass (repeatable)
  --keep                     keep the data and logs (otherwise deleted after each trial)
EOF
  exit 2
}

die() { echo "syslog_throughput: $*" >&2; exit 1; }
bench_name=syslog_throughput
# shellcheck source=bench/bench_lib.sh
source "$BENCH_DIR/bench_lib.sh"

while (($#)); do
  case "$1" in
    --receivers) shift; read -r -a receivers <<<"$1" ;;
    --count) shift; count=$1 ;;
    --connections) shift; connections=$1 ;;
    --size) shift; size=$1 ;;
    --framing) shift; if [[ $1 == both ]]; then framings=(octet lf); else read -r -a framings <<<"$1"; fi ;;
    --batch) shift; batch=$1 ;;
    --rounds) shift; rounds=$1 ;;
    --recv-cpu) shift; recv_cpu=$1 ;;
    --gen-cpu) shift; gen_cpu=$1 ;;
    --settle) shift; settle=$1 ;;
    --timeout) shift; timeout=$1 ;;
    --rsyslog-template) shift; rsyslog_template=$1 ;;
    --dir) shift; base_dir=$1 ;;
    --rsyslogd) shift; rsyslogd_bin=$1 ;;
    *) bench_common_option "$@"; shift "$bench_used" ;;
  esac
  shift
done
for r in "${receivers[@]}"; do
  [[ $r == rsyslog || $r =~ ^hourglass:(raw|json):(interval|never|always)$ ]] ||
    die "bad receiver '$r': rsyslog or hourglass:raw|json:interval|never|always"
done
for f in "${framings[@]}"; do [[ $f == octet || $f == lf ]] || die "--framing must be octet, lf or both"; done
[[ $rsyslog_template == bench_rawmsg || $rsyslog_template == RSYSLOG_FileFormat ]] ||
  die "--rsyslog-template must be bench_rawmsg or RSYSLOG_FileFormat"

# ---- tools -------------------------------------------------------------------

[[ -n $loadgen_bin ]] || loadgen_bin=$(find_built bench/syslog_loadgen)
[[ -n $loadgen_bin && -x $loadgen_bin ]] ||
  die "syslog_loadgen not found: build it (ninja -C build syslog_loadgen) or pass --loadgen"
need_hourglass=0 need_rsyslog=0
for r in "${receivers[@]}"; do
  if [[ $r == rsyslog ]]; then need_rsyslog=1; else need_hourglass=1; fi
done
if ((need_hourglass)); then
  [[ -n $hourglass_bin ]] || hourglass_bin=$(find_built server/hourglass)
  [[ -n $hourglass_bin && -x $hourglass_bin ]] ||
    die "hourglass not found: build it (ninja -C build hourglass) or pass --hourglass"
fi
if ((need_rsyslog)); then
  [[ -n $rsyslogd_bin ]] || rsyslogd_bin=$(command -v rsyslogd || echo /usr/sbin/rsyslogd)
  [[ -x $rsyslogd_bin ]] || die "rsyslogd not found (apt-get install rsyslog) or pass --rsyslogd"
fi
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"

mkdir -p "$base_dir"
bench_work_dir "$base_dir/hourglass-sbench.XXXXXX"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime of all threads
hz=$(getconf CLK_TCK)

# ---- receivers ---------------------------------------------------------------
# start_X DIR sets recv_pid, port, out_glob (the hourly files, as a glob).

start_rsyslog() {
  local dir=$1 conf=$1/rsyslog.conf port_file=$1/imtcp.port i
  mkdir -p "$dir/work" "$dir/out"
  sed -e "s#@WORK_DIR@#$dir/work#g" -e "s#@OUT_DIR@#$dir/out#g" \
    -e "s#@PORT_FILE@#$port_file#g" -e "s#@TEMPLATE@#$rsyslog_template#g" \
    "$BENCH_DIR/rsyslog/rsyslog.conf" >"$conf"
  "$rsyslogd_bin" -N1 -f "$conf" >"$dir/check.log" 2>&1 ||
    { cat "$dir/check.log" >&2; die "rsyslogd rejected $conf"; }
  # -n: foreground (so $! is rsyslogd itself); -i: our own pid file.
  taskset -c "$recv_cpu" "$rsyslogd_bin" -n -f "$conf" -i "$dir/rsyslogd.pid" >"$dir/stderr.log" 2>&1 &
  recv_pid=$!
  for ((i = 0; i < 100; i++)); do
    kill -0 "$recv_pid" 2>/dev/null || { cat "$dir/stderr.log" >&2; die "rsyslogd exited at start"; }
    port=$(cat "$port_file" 2>/dev/null || true)
    if [[ $port =~ ^[0-9]+$ ]] && ((port > 0)); then
      out_glob="$dir/out/rsyslog-*.log"
      return 0
    fi
    sleep 0.1
  done
  cat "$dir/stderr.log" >&2
  die "rsyslogd did not write its port within 10 s"
}

start_hourglass() {  # start_hourglass DIR FORMAT FSYNC
  local dir=$1 log=$1/hourglass.log args=() defaults s i
  mkdir -p "$dir/data"
  : >"$log"  # exists before the receiver opens it, so polling it cannot fail
  defaults=$("$hourglass_bin" config defaults 2>/dev/null || true)
  if grep -q '^\[carbon\]' <<<"$defaults"; then args+=(--set carbon.listen=127.0.0.1:0); fi
  # Do not gzip the (up to 2 GB) partial hour at each stop: it is not measured.
  if grep -q '^seal_on_shutdown' <<<"$defaults"; then args+=(--set archive.seal_on_shutdown=false); fi
  if grep -q '^udp_listen' <<<"$defaults"; then args+=(--set syslog.udp_listen=127.0.0.1:0); fi
  for s in "${hourglass_sets[@]}"; do args+=(--set "$s"); done
  taskset -c "$recv_cpu" "$hourglass_bin" serve --set data_dir="$dir/data" \
    --set syslog.listen=127.0.0.1:0 --set statsd.listen=127.0.0.1:0 \
    --set http.listen=127.0.0.1:0 --set audit.format="$2" --set audit.fsync="$3" \
    "${args[@]}" >"$log" 2>&1 &
  recv_pid=$!
  for ((i = 0; i < 100; i++)); do
    kill -0 "$recv_pid" 2>/dev/null || { cat "$log" >&2; die "hourglass exited at start"; }
    port=$(sed -n 's/.*listening syslog tcp [^ ]*:\([0-9][0-9]*\).*/\1/p' "$log" | head -1 || true)
    if [[ -n $port ]]; then
      out_glob="$dir/data/audit/audit-*.log"
      return 0
    fi
    sleep 0.1
  done
  cat "$log" >&2
  die "hourglass did not log 'listening syslog tcp' within 10 s"
}

stop_receiver() {  # only the process this script started
  if [[ -n $recv_pid ]]; then
    kill -TERM "$recv_pid" 2>/dev/null || true
    local i rc=0
    for ((i = 0; i < 300; i++)); do kill -0 "$recv_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$recv_pid" 2>/dev/null || true
    wait "$recv_pid" 2>/dev/null || rc=$?
    # The files were counted and checked before the stop, so the figures
    # stand, but a receiver that does not exit 0 on SIGTERM is worth a look.
    if ((rc != 0)); then echo "# warning: the receiver (pid $recv_pid) exited with status $rc after SIGTERM" >&2; fi
    recv_pid=""
  fi
}

# ---- waiting for the file ----------------------------------------------------
# wait_written GLOB SENT: polls the total size of the files until it has not
# grown for --settle s, then counts lines; repeats until lines >= SENT or
# --timeout s without growth. Prints: lines=N bytes=B last_write_epoch=E
# (the newest mtime among the files: when the last message was written).
# Runs on the generator's CPU, away from the receiver.
cat >"$work/wait_written.py" <<'EOF'
import glob, os, sys, time
pattern, sent, settle, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])

def files():
    return sorted(glob.glob(pattern))

def total_size():
    s = 0
    for f in files():
        try:
            s += os.stat(f).st_size
        except FileNotFoundError:
            pass
    return s

def count_lines():
    n = 0
    for f in files():
        with open(f, "rb", buffering=0) as fh:
            while True:
                b = fh.read(16 << 20)
                if not b:
                    break
                n += b.count(b"\n")
    return n

size = total_size()
grew = time.monotonic()          # when the files last grew
count_at = grew + settle         # when to count lines next
lines = 0
while True:
    time.sleep(0.05)
    s, now = total_size(), time.monotonic()
    if s != size:
        size, grew, count_at = s, now, now + settle
        continue
    if now < count_at:
        continue
    lines = count_lines()
    if lines >= sent or now - grew >= timeout:
        break
    count_at = now + settle  # fewer lines than sent and not growing: look again
mtime = max((os.stat(f).st_mtime_ns for f in files()), default=0) / 1e9
print("lines=%d bytes=%d last_write_epoch=%.6f" % (lines, size, mtime))
EOF
wait_written() { taskset -c "$gen_cpu" "$PY" "$work/wait_written.py" "$1" "$2" "$settle" "$timeout"; }

field() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }

# ---- one trial -----------------------------------------------------------------
# trial RECEIVER FRAMING ROUND: prints one result line and appends it to $results.

results=$work/results.txt
: >"$results"
failures=0

trial() {
  local receiver=$1 framing=$2 round=$3 dir label format="" fsync=""
  dir=$work/trial-$round-${receiver//:/-}-$framing
  if [[ $receiver == rsyslog ]]; then
    label=rsyslog
    start_rsyslog "$dir"
  else
    IFS=: read -r _ format fsync <<<"$receiver"
    label="hourglass-$format-fsync_$fsync"
    start_hourglass "$dir" "$format" "$fsync"
  fi
  sleep 0.5  # let it settle
  local ticks0 gen written check
  ticks0=$(cpu_ticks "$recv_pid")
  gen=$(taskset -c "$gen_cpu" "$loadgen_bin" --target "127.0.0.1:$port" --connections "$connections" \
    --framing "$framing" --size "$size" --count "$count" --batch "$batch" 2>"$dir/loadgen.err") ||
    { cat "$dir/loadgen.err" >&2; die "syslog_loadgen failed against $label"; }
  local sent start_epoch gen_seconds
  sent=$(field sent_messages "$gen")
  start_epoch=$(field start_epoch "$gen")
  gen_seconds=$(field seconds "$gen")
  written=$(wait_written "$out_glob" "$sent")
  local ticks1 lines bytes last_write
  ticks1=$(cpu_ticks "$recv_pid")
  lines=$(field lines "$written")
  bytes=$(field bytes "$written")
  last_write=$(field last_write_epoch "$written")
  # Exactly once: every sequence number 0..sent-1, no duplicates, no other
  # lines. Checked before the receiver stops (hourglass may seal the hour).
  # shellcheck disable=SC2086
  check=$(taskset -c "$gen_cpu" "$loadgen_bin" --check $out_glob --expect "$sent" || true)
  stop_receiver
  local complete nfiles
  complete=$(field complete "$check")
  nfiles=$(compgen -G "$out_glob" | wc -l)
  if ((nfiles > 1)); then echo "# note: this trial crossed an hour boundary ($nfiles hourly files)" >&2; fi
  [[ $complete == yes ]] || failures=$((failures + 1))
  local line
  line=$("$PY" - "$label" "$framing" "$round" "$sent" "$lines" "$bytes" "$start_epoch" "$last_write" \
    "$gen_seconds" "$((ticks1 - ticks0))" "$hz" "$complete" "$nfiles" <<'EOF'
import sys
label, framing, rnd, sent, lines, nbytes, start, last, gen_s, ticks, hz, complete, nfiles = sys.argv[1:]
sent, lines, nbytes = int(sent), int(lines), int(nbytes)
secs = max(float(last) - float(start), 1e-9)
cpu_s = int(ticks) / int(hz)
print("receiver=%s framing=%s round=%s sent=%d lines=%d complete=%s seconds=%.3f rate=%.0f "
      "gen_seconds=%s cpu_seconds=%.2f cpu_pct=%.0f file_bytes=%d bytes_per_line=%.1f files=%s" % (
      label, framing, rnd, sent, lines, complete, secs, sent / secs, gen_s, cpu_s,
      100.0 * cpu_s / secs, nbytes, nbytes / lines if lines else 0, nfiles))
EOF
)
  echo "$line"
  [[ $complete == yes ]] || echo "# $label: $check" >&2
  echo "$line" >>"$results"
  if ((!keep_dir)); then rm -rf "$dir"; fi
  sync  # write back this trial's data before the next one starts
}

# ---- main ----------------------------------------------------------------------

fs_type=$(df -T "$work" | awk 'NR == 2 {print $2}')
echo "# syslog throughput: count=$count connections=$connections size=$size framing=${framings[*]}" \
  "batch=$batch rounds=$rounds receiver CPU $recv_cpu, generator CPU $gen_cpu, dir=$work ($fs_type)"
echo "# $(nproc) CPUs: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo); kernel $(uname -r)"
if ((need_rsyslog)); then echo "# $("$rsyslogd_bin" -v 2>&1 | head -1 | sed 's/ compiled with://')"; fi
if ((need_hourglass)); then echo "# $("$hourglass_bin" version 2>/dev/null | head -1)"; fi

for ((round = 1; round <= rounds; round++)); do
  for framing in "${framings[@]}"; do
    for receiver in "${receivers[@]}"; do trial "$receiver" "$framing" "$round"; done
  done
done

echo
"$PY" - "$results" <<'EOF'
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in line.split()) for line in open(sys.argv[1]) if line.strip()]
groups = {}
for r in rows:
    groups.setdefault((r["framing"], r["receiver"]), []).append(r)
print("%-30s %-6s %7s %12s %8s %9s %9s" % ("receiver", "frame", "trials", "msgs/s", "cpu%", "B/line", "complete"))
med = {}
for (framing, recv), rs in groups.items():
    rate = statistics.median(float(r["rate"]) for r in rs)
    cpu = statistics.median(float(r["cpu_pct"]) for r in rs)
    med[(framing, recv)] = rate
    ok = "yes" if all(r["complete"] == "yes" for r in rs) else "NO"
    print("%-30s %-6s %7d %12.0f %8.0f %9s %9s" % (recv, framing, len(rs), rate, cpu, rs[0]["bytes_per_line"], ok))
print()
for framing in sorted({f for f, _ in med}):
    def m(name):
        return med.get((framing, name))
    base = m("rsyslog")
    if base:
        for name in ("hourglass-raw-fsync_interval", "hourglass-raw-fsync_never",
                     "hourglass-json-fsync_interval", "hourglass-json-fsync_never"):
            if m(name):
                target = "2.0" if "-raw-" in name else "1.0"
                print("ratio %s %s/rsyslog = %.2f (target >= %s)" % (framing, name, m(name) / base, target))
    for fmt in ("raw", "json"):
        a, b = m("hourglass-%s-fsync_interval" % fmt), m("hourglass-%s-fsync_never" % fmt)
        if a and b:
            print("fsync_cost %s %s = %.1f%% (interval %.0f vs never %.0f msgs/s; target < 10%%)"
                  % (framing, fmt, 100.0 * (1 - a / b), a, b))
EOF
if ((failures)); then
  echo "syslog_throughput: $failures trial(s) lost or duplicated messages (see the complete= field)" >&2
  exit 1
fi
