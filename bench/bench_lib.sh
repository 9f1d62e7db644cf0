# bench_lib.sh: the pieces bench/statsd_capacity.sh and bench/syslog_throughput.sh
# share, sourced after their defaults: the options both take (--hourglass,
# --loadgen, --set, --keep, -h/--help), finding a built tool, and the work
# directory removed (or kept) at exit after stop_receiver. The sourcing script
# defines bench_name, usage, die and stop_receiver.

# bench_common_option "$@": takes the option in $1 (and its value in $2);
# sets bench_used to how many arguments beyond $1 it took. An unknown option
# prints usage.
bench_common_option() {
  bench_used=0
  case "$1" in
    --hourglass) hourglass_bin=$2; bench_used=1 ;;
    --loadgen) loadgen_bin=$2; bench_used=1 ;;
    --set) hourglass_sets+=("$2"); bench_used=1 ;;
    --keep) keep_dir=1 ;;
    -h|--help) usage ;;
    *) echo "$bench_name: unknown option $1" >&2; usage ;;
  esac
}

# find_built RELPATH: the first build tree under the repository that has it.
find_built() {
  local d
  for d in build-sbench build-bench build; do
    if [[ -x $REPO_DIR/$d/$1 ]]; then echo "$REPO_DIR/$d/$1"; return; fi
  done
}

# bench_work_dir TEMPLATE: makes $work (mktemp -d TEMPLATE) and, at exit,
# stops the receiver and removes $work unless --keep.
bench_work_dir() {
  work=$(mktemp -d "$1")
  recv_pid=""
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  stop_receiver
  if ((keep_dir)); then echo "# kept $work" >&2; else rm -rf "$work"; fi
}
