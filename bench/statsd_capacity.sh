#!/usr/bin/env bash
# statsd_capacity.sh: how many statsd metrics/s a receiver counts on one core.
#
# Starts a receiver (hourglass, or etsy/statsd 0.9.0 with a null backend)
# pinned to one CPU, drives it with bench/statsd_loadgen pinned to another,
# and for each offered rate prints sent, counted and % counted. Without
# --rates it searches (doubling, then bisecting) for the highest rate at which
# at least --threshold % (default 99.9) of the metrics sent are counted.
# --flush-bench instead loads 100,000 keys (a third timers) and reports flush
# duration, drops while flushing and resident memory per key.
# See bench/README.md for what each figure means. Prints figures; never fails
# on a slow result.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
PY=/usr/bin/python3

receivers=(hourglass)
flush_bench=0
duration=30
mode=multi
keys=10000
rates=()
start_rate=50000
max_rate=20000000
bisect_steps=6
threshold=99.9
flush_interval=10
recv_cpu=1
gen_cpu=0
threads=1
hourglass_bin=""
loadgen_bin=""
hourglass_sets=()
flush_keys=100000
flush_rate=100000
keep_dir=0

usage() {
  cat <<'EOF'
usage: bench/statsd_capacity.sh [options]
  --receiver hourglass|etsy   receiver to measure (default hourglass)
  --compare                   measure hourglass and etsy statsd with the same generator
  --flush-bench               flush benchmark instead of the capacity search
  --rates "R1 R2 ..."         offered rates (metrics/s) to try, instead of searching
  --start-rate R              first rate of the search (default 50000)
  --max-rate R                the search never offers more (default 20000000)
  --bisect-steps N            bisection steps after the first failure (default 6)
  --threshold PCT             % counted that passes (default 99.9)
  --duration S                seconds of load per rate (default 30)
  --mode single|multi         one metric per packet, or ~1400-byte packets (default multi)
  --keys N                    distinct keys (default 10000)
  --threads T                 generator threads (default 1)
  --flush-interval S          the receiver's flush interval (default 10; etsy is set to it)
  --flush-keys N              keys for --flush-bench (default 100000)
  --flush-rate R              metrics/s offered during --flush-bench (default 100000)
  --recv-cpu LIST             taskset CPU list for the receiver (default 1)
  --gen-cpu LIST              taskset CPU list for the generator (default 0)
  --hourglass PATH            hourglass binary (default build/server/hourglass)
  --loadgen PATH              statsd_loadgen binary (default: found under build*/bench)
  --set KEY=VALUE             extra --set for hourglass (repeatable)
  --keep                      keep the temporary directory (logs, data)
EOF
  exit 2
}

die() { echo "statsd_capacity: $*" >&2; exit 1; }
bench_name=statsd_capacity
# shellcheck source=bench/bench_lib.sh
source "$BENCH_DIR/bench_lib.sh"

while (($#)); do
  case "$1" in
    --receiver) shift; receivers=("$1") ;;
    --compare) receivers=(hourglass etsy) ;;
    --flush-bench) flush_bench=1 ;;
    --rates) shift; read -r -a rates <<<"$1" ;;
    --start-rate) shift; start_rate=$1 ;;
    --max-rate) shift; max_rate=$1 ;;
    --bisect-steps) shift; bisect_steps=$1 ;;
    --threshold) shift; threshold=$1 ;;
    --duration) shift; duration=$1 ;;
    --mode) shift; mode=$1 ;;
    --keys) shift; keys=$1 ;;
    --threads) shift; threads=$1 ;;
    --flush-interval) shift; flush_interval=$1 ;;
    --flush-keys) shift; flush_keys=$1 ;;
    --flush-rate) shift; flush_rate=$1 ;;
    --recv-cpu) shift; recv_cpu=$1 ;;
    --gen-cpu) shift; gen_cpu=$1 ;;
    *) bench_common_option "$@"; shift "$bench_used" ;;
  esac
  shift
done
for r in "${receivers[@]}"; do
  [[ $r == hourglass || $r == etsy ]] || die "--receiver must be hourglass or etsy"
done
[[ $mode == single || $mode == multi ]] || die "--mode must be single or multi"

# ---- tools -------------------------------------------------------------------

[[ -n $loadgen_bin ]] || loadgen_bin=$(find_built bench/statsd_loadgen)
[[ -n $loadgen_bin && -x $loadgen_bin ]] ||
  die "statsd_loadgen not found: build it (ninja -C build statsd_loadgen) or pass --loadgen"
[[ -n $hourglass_bin ]] || hourglass_bin=$REPO_DIR/build/server/hourglass
command -v taskset >/dev/null || die "taskset not found (apt-get install util-linux)"
command -v curl >/dev/null || die "curl not found"

bench_work_dir /tmp/hourglass-bench.XXXXXX
recv_name=""

now() { date +%s.%N; }
fcmp() { "$PY" -c "import sys; a,op,b=float(sys.argv[1]),sys.argv[2],float(sys.argv[3]); sys.exit(0 if {'<':a<b,'>=':a>=b,'>':a>b}[op] else 1)" "$1" "$2" "$3"; }
calc() { "$PY" -c "import math; print($1)"; }
sleep_until() { local d; d=$("$PY" -c "import sys,time; print(max(0.0, float(sys.argv[1]) - time.time()))" "$1"); sleep "$d"; }

free_port() {  # a free port for UDP and TCP on 127.0.0.1
  "$PY" - <<'EOF'
import socket
while True:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket(); 
    try:
        t.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        t.close(); u.close()
EOF
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # utime + stime, in clock ticks
# Kernel receive-queue drops for the UDP socket bound to 127.0.0.1:PORT.
udp_drops() {
  local hex; hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'NR > 1 && substr($2, length($2) - 4) == p {d += $NF} END {print d + 0}' /proc/net/udp
}

# ---- receivers ---------------------------------------------------------------
# start_receiver NAME sets: recv_pid, statsd_port, http_port (hourglass),
# total_file (etsy).

start_hourglass() {
  [[ -x $hourglass_bin ]] || die "hourglass binary not found at $hourglass_bin (build it or pass --hourglass)"
  local dir=$work/hourglass-data log=$work/hourglass.log args=()
  mkdir -p "$dir"
  : >"$log"
  # Move the other listeners off their fixed ports too, where this build has
  # them (an unknown --set key is an error).
  local defaults section
  defaults=$("$hourglass_bin" config defaults 2>/dev/null || true)
  for section in syslog carbon; do
    if grep -q "^\[$section\]" <<<"$defaults"; then args+=(--set "$section.listen=127.0.0.1:0"); fi
  done
  if grep -q '^udp_listen' <<<"$defaults"; then args+=(--set syslog.udp_listen=127.0.0.1:0); fi
  for s in "${hourglass_sets[@]}"; do args+=(--set "$s"); done
  taskset -c "$recv_cpu" "$hourglass_bin" serve \
    --set statsd.listen=127.0.0.1:0 --set http.listen=127.0.0.1:0 \
    --set data_dir="$dir" "${args[@]}" >"$log" 2>&1 &
  recv_pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$recv_pid" 2>/dev/null || { cat "$log" >&2; die "hourglass exited at start"; }
    statsd_port=$(sed -n 's/.*listening statsd udp [^ ]*:\([0-9][0-9]*\).*/\1/p' "$log" | head -1)
    http_port=$(sed -n 's/.*listening http tcp [^ ]*:\([0-9][0-9]*\).*/\1/p' "$log" | head -1)
    if [[ -n $statsd_port && -n $http_port ]] && curl -fsS "http://127.0.0.1:$http_port/metrics" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  cat "$log" >&2
  die "hourglass did not log its statsd and http addresses within 10 s"
}

start_etsy() {
  local stats_js=$BENCH_DIR/etsy/node_modules/statsd/stats.js log=$work/etsy.log
  if [[ ! -f $stats_js ]]; then
    echo "# installing etsy statsd 0.9.0 into bench/etsy (npm install)" >&2
    (cd "$BENCH_DIR/etsy" && npm install --no-audit --no-fund --loglevel=error >&2) ||
      die "npm install failed in bench/etsy"
  fi
  command -v node >/dev/null || die "node not found (apt-get install nodejs)"
  statsd_port=$(free_port)
  total_file=$work/etsy-total.txt
  rm -f "$total_file"
  : >"$log"
  HG_ETSY_PORT=$statsd_port HG_ETSY_MGMT_PORT=$(free_port) \
    HG_ETSY_FLUSH_MS=$((flush_interval * 1000)) HG_ETSY_TOTAL_FILE=$total_file \
    taskset -c "$recv_cpu" node "$stats_js" "$BENCH_DIR/etsy/config.js" >"$log" 2>&1 &
  recv_pid=$!
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$recv_pid" 2>/dev/null || { cat "$log" >&2; die "etsy statsd exited at start"; }
    if grep -qs 'server is up' "$log" && [[ -f $total_file ]]; then return 0; fi
    sleep 0.1
  done
  cat "$log" >&2
  die "etsy statsd did not start within 10 s"
}

start_receiver() {
  recv_name=$1
  "start_$1"
  sleep 1  # let it settle before measuring its start RSS
}

stop_receiver() {
  if [[ -n $recv_pid ]]; then
    kill -TERM "$recv_pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do kill -0 "$recv_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$recv_pid" 2>/dev/null || true
    wait "$recv_pid" 2>/dev/null || true
    recv_pid=""
  fi
}

# ---- counting ----------------------------------------------------------------

hourglass_metrics() { curl -fsS --max-time 5 "http://127.0.0.1:$http_port/metrics"; }

# Sum of the samples of one Prometheus metric (with or without _total/labels).
# A sample line is `NAME[{LABELS}] VALUE [TIMESTAMP]`.
prom_value() {
  awk -v n="$1" '$1 == n || $1 == n "_total" || index($1, n "{") == 1 || index($1, n "_total{") == 1 {
                   rest = $0; i = index(rest, "}"); if (i) rest = substr(rest, i + 1); else rest = substr(rest, length($1) + 1)
                   split(rest, v, " "); s += v[1]; f = 1}
                 END {if (f) printf "%.0f\n", s; else print "NA"}'
}

# Metrics counted so far by the running receiver.
counted_total() {
  if [[ $recv_name == hourglass ]]; then
    hourglass_metrics | prom_value hourglass_statsd_metrics_received_total
  else
    sed -n 's/.*metrics_received=\([0-9]*\).*/\1/p' "$total_file"
  fi
}

# Waits until everything sent before END (epoch seconds) has been counted:
# past the first flush at least 1 s after END, then until the count holds
# still for 2 s (so it works whether the count moves at receive or at flush).
wait_counted() {
  local end=$1 prev cur i
  if [[ $recv_name == hourglass ]]; then
    # hourglass flushes at wall-clock multiples of the interval.
    sleep_until "$(calc "math.ceil(($end + 1) / $flush_interval) * $flush_interval + 1.5")"
  else
    # etsy: the null backend stamps each flush; wait for one after END + 1 s.
    for ((i = 0; i < 8 * flush_interval + 20; i++)); do
      local written
      written=$(sed -n 's/.*written=\([0-9.]*\).*/\1/p' "$total_file")
      fcmp "${written:-0}" '>=' "$(calc "$end + 1")" && break
      sleep 0.5
    done
  fi
  prev=$(counted_total)
  for ((i = 0; i < 3 * flush_interval; i++)); do
    sleep 2
    cur=$(counted_total)
    [[ $cur == "$prev" ]] && break
    prev=$cur
  done
  echo "$prev"
}

# ---- one trial ---------------------------------------------------------------
# trial RATE [KEYS] [TYPES]: offers RATE metrics/s for --duration seconds and
# sets: t_sent t_counted t_pct t_achieved t_drops t_cpu; prints one line.

trial() {
  local rate=$1 nkeys=${2:-$keys} types=${3:-c,ms,g,s,h}
  local before drops0 ticks0 t0 out end after drops1 ticks1 t1 hz
  before=$(counted_total)
  [[ $before == NA || -z $before ]] && die "$recv_name does not expose its metrics_received count"
  drops0=$(udp_drops "$statsd_port")
  ticks0=$(cpu_ticks "$recv_pid")
  t0=$(now)
  out=$(taskset -c "$gen_cpu" "$loadgen_bin" --target "127.0.0.1:$statsd_port" --mode "$mode" \
    --keys "$nkeys" --types "$types" --rate "$rate" --duration "$duration" --threads "$threads" 2>/dev/null)
  end=$(now)
  ticks1=$(cpu_ticks "$recv_pid")
  t1=$end
  after=$(wait_counted "$end")
  drops1=$(udp_drops "$statsd_port")
  hz=$(getconf CLK_TCK)
  t_sent=$(sed -n 's/.*sent_metrics=\([0-9]*\).*/\1/p' <<<"$out")
  t_achieved=$(sed -n 's/.* rate=\([0-9]*\).*/\1/p' <<<"$out")
  t_counted=$((after - before))
  t_drops=$((drops1 - drops0))
  read -r t_pct t_cpu < <("$PY" -c "
import sys
sent, counted, ticks, hz, secs = map(float, sys.argv[1:])
print('%.3f %.0f' % (100.0 * counted / sent if sent else 0.0, 100.0 * ticks / hz / secs))
" "$t_sent" "$t_counted" "$((ticks1 - ticks0))" "$hz" "$(calc "$t1 - $t0")")
  printf 'receiver=%s mode=%s keys=%s offered_rate=%s achieved_rate=%s sent_metrics=%s counted_metrics=%s counted_pct=%s kernel_drops_packets=%s receiver_cpu_pct=%s\n' \
    "$recv_name" "$mode" "$nkeys" "$rate" "$t_achieved" "$t_sent" "$t_counted" "$t_pct" "$t_drops" "$t_cpu"
}

passes() { fcmp "$t_pct" '>=' "$threshold"; }

# ---- capacity search ---------------------------------------------------------
# Sets best_rate (highest passing offered rate, 0 if none) and appends rows to
# the table file.

table=""
capacity() {
  local name=$1 r lo=0 hi=0 i
  best_rate=0
  start_receiver "$name"
  record() { printf '%-10s %12s %12s %14s %14s %9s %10s %6s\n' "$name" "$1" "$t_achieved" "$t_sent" "$t_counted" "$t_pct" "$t_drops" "$t_cpu" >>"$table"; }
  if ((${#rates[@]})); then
    for r in "${rates[@]}"; do
      trial "$r"; record "$r"
      if passes && ((r > best_rate)); then best_rate=$r; fi
    done
  else
    r=$start_rate
    while :; do  # doubling until the first failure
      trial "$r"; record "$r"
      if passes; then lo=$r; else hi=$r; break; fi
      if ((r >= max_rate)); then break; fi
      r=$((r * 2 > max_rate ? max_rate : r * 2))
    done
    if ((hi > 0)); then
      for ((i = 0; i < bisect_steps && hi - lo > lo / 50 + 1; i++)); do
        r=$(((lo + hi) / 2))
        trial "$r"; record "$r"
        if passes; then lo=$r; else hi=$r; fi
      done
    fi
    best_rate=$lo
  fi
  stop_receiver
  echo "result receiver=$name mode=$mode keys=$keys duration=$duration threshold_pct=$threshold max_rate_counted=$best_rate"
}

run_capacity() {
  table=$work/table.txt
  : >"$table"
  local summary=() name
  for name in "${receivers[@]}"; do
    capacity "$name"
    summary+=("$name $best_rate")
  done
  echo
  echo "# statsd capacity: mode=$mode keys=$keys duration=${duration}s receiver CPU $recv_cpu, generator CPU $gen_cpu"
  printf '%-10s %12s %12s %14s %14s %9s %10s %6s\n' receiver offered/s achieved/s sent counted counted% kdrops cpu%
  cat "$table"
  echo
  printf '%-10s %s\n' receiver "max metrics/s with >= ${threshold}% counted"
  local s
  for s in "${summary[@]}"; do printf "%-10s %s\n" "${s% *}" "${s#* }"; done
  if ((${#summary[@]} == 2)); then
    local a=${summary[0]#* } b=${summary[1]#* }
    if ((b > 0)); then echo "ratio ${summary[0]% *}/${summary[1]% *} = $(calc "round($a / $b, 2)")"; fi
  fi
}

# ---- flush benchmark ---------------------------------------------------------

flush_gauges() { hourglass_metrics | grep -i 'flush' | grep -v '^#' || true; }

run_flush_bench() {
  local name rss0 rss1 out bytes_per_key
  for name in "${receivers[@]}"; do
    start_receiver "$name"
    rss0=$(rss_kb "$recv_pid")
    # Load every key once, well under capacity, then let one flush store them.
    out=$(taskset -c "$gen_cpu" "$loadgen_bin" --target "127.0.0.1:$statsd_port" --mode multi \
      --keys "$flush_keys" --types c,ms,g --count "$flush_keys" --rate 100000 --duration 0 2>/dev/null)
    wait_counted "$(now)" >/dev/null
    rss1=$(rss_kb "$recv_pid")
    bytes_per_key=$(( (rss1 - rss0) * 1024 / flush_keys ))
    echo "memory receiver=$name keys=$flush_keys rss_start_kb=$rss0 rss_loaded_kb=$rss1 bytes_per_key=$bytes_per_key ($out)"
    # Steady load over all keys across several flushes.
    local saved_mode=$mode samples=$work/flush-samples.txt
    mode=multi
    : >"$samples"
    if [[ $name == hourglass ]]; then
      ( while kill -0 "$recv_pid" 2>/dev/null; do flush_gauges | sed "s/^/$(date +%s) /" >>"$samples"; sleep 1; done ) &
      local sampler=$!
    fi
    trial "$flush_rate" "$flush_keys" c,ms,g
    mode=$saved_mode
    echo "flush receiver=$name keys=$flush_keys offered_rate=$flush_rate sent_metrics=$t_sent counted_metrics=$t_counted lost_metrics=$((t_sent - t_counted)) counted_pct=$t_pct kernel_drops_packets=$t_drops rss_end_kb=$(rss_kb "$recv_pid")"
    if [[ $name == hourglass ]]; then
      kill "$sampler" 2>/dev/null || true
      wait "$sampler" 2>/dev/null || true
      if [[ -s $samples ]]; then
        # For each flush gauge: the largest and the last value seen.
        awk '{v[$2] = $NF; if (!($2 in m) || $NF + 0 > m[$2]) m[$2] = $NF + 0}
             END {for (k in v) printf "flush_gauge %s max=%s last=%s\n", k, m[k], v[k]}' "$samples" | sort
      else
        echo "flush_gauge none: /metrics has no metric with 'flush' in its name"
      fi
      echo "# hourglass self-metrics about drops and flushes at the end:"
      hourglass_metrics | grep -Ei 'drop|flush|bad_lines|received' | grep -v '^#' || true
    fi
    stop_receiver
  done
}

if ((flush_bench)); then run_flush_bench; else run_capacity; fi
