#!/usr/bin/env bash
# Makes sure a Docker engine answers on the default socket, or stops the one we started.
#   scripts/docker-engine.sh start   installs Debian's docker.io if dockerd is missing (and haproxy), starts dockerd
#                                    unless an engine already answers, and records that we started it
#   scripts/docker-engine.sh stop    stops dockerd only if `start` started it
# Why a script and not the tests: the tests need an engine and must fail loudly without one, but
# installing packages and running daemons is the machine's business, done once per run.
set -euo pipefail
state_dir="${MCP_TEST_STATE_DIR:-/tmp/mcp-gateway-test}"
pidfile="$state_dir/dockerd.pid"
mkdir -p "$state_dir"

engine_answers() { docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1; }

# haproxy: the replica test runs two gateways behind a real load balancer (Debian's package, run as a plain process).
install_tools() {
  command -v haproxy >/dev/null 2>&1 && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "docker-engine: haproxy is not installed and we are not root; install Debian's haproxy and retry" >&2
    exit 1
  fi
  echo "docker-engine: installing Debian's haproxy"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # The package's own service is not wanted (the test runs its own haproxy per run); without an init it never starts.
  RUNLEVEL=1 apt-get install -y -qq --no-install-recommends haproxy >/dev/null
}

start() {
  install_tools
  if engine_answers; then
    echo "docker-engine: an engine already answers ($(docker version --format '{{.Server.Version}}'))"
    return 0
  fi
  # openssl: the e2e test of DOCKER_HOST=tcp:// with TLS makes its certificates with it.
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v openssl >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      echo "docker-engine: dockerd or openssl is not installed and we are not root; install docker.io and openssl and retry" >&2
      exit 1
    fi
    echo "docker-engine: installing Debian's docker.io (and openssl)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq docker.io busybox-static tini openssl >/dev/null
  fi
  echo "docker-engine: starting dockerd (log: $state_dir/dockerd.log)"
  # setsid: the daemon must outlive this shell but stay stoppable by pid.
  setsid dockerd --host unix:///var/run/docker.sock >"$state_dir/dockerd.log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  for _ in $(seq 1 120); do
    if engine_answers; then
      echo "docker-engine: engine up ($(docker version --format '{{.Server.Version}} API {{.Server.APIVersion}}'))"
      return 0
    fi
    sleep 0.5
  done
  echo "docker-engine: dockerd did not answer within 60 s; last log lines:" >&2
  tail -20 "$state_dir/dockerd.log" >&2 || true
  exit 1
}

stop() {
  [ -f "$pidfile" ] || { echo "docker-engine: not started by us; leaving it running"; return 0; }
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" || true
  fi
  rm -f "$pidfile"
  echo "docker-engine: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
