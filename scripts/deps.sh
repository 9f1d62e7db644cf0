#!/usr/bin/env bash
# Installs the Debian 12 packages Hourglass needs that are not there yet.
# Usage: scripts/deps.sh build|test   (test includes build)
set -euo pipefail

build_packages=(
  g++ cmake ninja-build git pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  librocksdb-dev libspdlog-dev libfmt-dev libcurl4-openssl-dev libtomlplusplus-dev
  zlib1g-dev libzstd-dev libssl-dev libre2-dev
  librelp-dev  # syslog.relp_listen (ingest/syslog/syslog_relp.cc)
  libjs-dygraphs  # the web page's chart, embedded at build time (web/CMakeLists.txt)
)
test_packages=(
  catch2 python3 python3-statsd python3-yaml netcat-openbsd curl procps
  rsyslog rsyslog-gnutls bsdutils radosgw ceph-mon ceph-osd awscli python3-boto3
  zstd openssl gzip
  rsyslog-relp  # omrelp, the RELP sender of e2e_relp
  clang-14 libclang-rt-14-dev  # the sanitizer run and fuzz targets (clang, libFuzzer)
  prometheus  # promtool check metrics on /metrics (e2e_operator_conventions)
  # e2e_cluster: graphite-web 1.1.8 under gunicorn federating two Hourglass
  # nodes (CLUSTER_SERVERS), points sharded by carbon-c-relay's carbon_ch;
  # python3-msgpack is graphite-web's msgpack decoder (its fallback fails on 3.11)
  graphite-web gunicorn carbon-c-relay python3-msgpack
  chromium chromium-driver python3-selenium  # the web page in a real browser (e2e_web_ui)
  # e2e_forward: the carbon backend of [[forward]] (-graphiteListenAddr), stopped
  # and restarted under load; also bench/store_ingest.sh's second receiver
  victoria-metrics
)

wanted=("${build_packages[@]}")
[ "${1:-build}" = test ] && wanted+=("${test_packages[@]}")

missing=()
for package in "${wanted[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
