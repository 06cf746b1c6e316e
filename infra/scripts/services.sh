#!/usr/bin/env bash
# Local services for Wayfarer's tests and development, without Docker:
#
#   PostgreSQL 15  127.0.0.1:5432  (the machine's; started if down; database `wayfarer`)
#   Redis 7        127.0.0.1:6379  (the machine's; started if down)
#   Kafka API      127.0.0.1:9092  tansu 0.6.0 with SQLite storage (installed with cargo)
#   OpenSearch API 127.0.0.1:9200  osmem-server (installed with pip; in-memory)
#
# usage: infra/scripts/services.sh up|down|status|reset|env
#   up      install what is missing, start what is down, wait until all four answer
#   down    stop tansu and osmem-server (never PostgreSQL or Redis)
#   status  one line per service (up, down or degraded); exit status 1 unless all are up
#   reset   down, delete tansu's data (all Kafka topics), up
#   env     print `export WAYFARER_...=...` lines for these services
#
# State (logs, pid files, tansu's data) lives in ${WAYFARER_SERVICES_DIR:-$HOME/.wayfarer/services}.
# WAYFARER_TANSU_PORT and WAYFARER_OSMEM_PORT move tansu and osmem-server off 9092 and 9200
# (with their own WAYFARER_SERVICES_DIR, a second set beside the first).
# Safe to run repeatedly, without a terminal and with CI=true.
# tansu: the default build stores nothing, hence `--features libsql` and sqlite:// storage;
# fetches scan the whole header table without the index on header (topition, offset_id),
# which is added with the broker stopped; never delete a topic in tansu 0.6 (that deletes
# every topic's data): use `reset`, and separate tests by topic prefix.
set -euo pipefail

STATE_DIR=${WAYFARER_SERVICES_DIR:-$HOME/.wayfarer/services}
LOG_DIR=$STATE_DIR/logs
RUN_DIR=$STATE_DIR/run
TANSU_DIR=$STATE_DIR/tansu

PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
PG_DB=wayfarer
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
KAFKA_HOST=127.0.0.1
KAFKA_PORT=${WAYFARER_TANSU_PORT:-9092}
OSMEM_HOST=127.0.0.1
OSMEM_PORT=${WAYFARER_OSMEM_PORT:-9200}

TANSU_VERSION=0.6.0
OSMEM_PIP_SPEC=osmem-server

TANSU_PID=$RUN_DIR/tansu.pid
TANSU_LOG=$LOG_DIR/tansu.log
OSMEM_PID=$RUN_DIR/osmem-server.pid
OSMEM_LOG=$LOG_DIR/osmem-server.log
HEADER_INDEX_SQL='create index if not exists header_topition_offset on header (topition, offset_id)'

export DEBIAN_FRONTEND=noninteractive

say() { printf '[services] %s\n' "$*" >&2; }
die() {
  printf '[services] error: %s\n' "$*" >&2
  exit 1
}

# now_ms: milliseconds since the epoch (for startup timings).
now_ms() { date +%s%3N; }

# wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds; fail after SECONDS.
wait_for() {
  local timeout=$1
  shift
  local deadline=$(($(date +%s) + timeout))
  until "$@"; do
    (($(date +%s) < deadline)) || return 1
    sleep 0.1
  done
}

port_open() { timeout 2 bash -c "</dev/tcp/$1/$2" 2>/dev/null; }

# pid_alive PIDFILE NAME: the pid file names a live process whose executable is NAME.
pid_alive() {
  local pidfile=$1 name=$2 pid exe
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  exe=${exe% (deleted)} # the binary may have been reinstalled while it runs
  [[ ${exe##*/} == "$name" ]]
}

# running PID: the process exists and is not a zombie (our servers outlive this script and
# are reaped by whatever init the machine has, sometimes seconds later).
running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# stop_pid PIDFILE NAME: SIGTERM, wait up to 10 s, then SIGKILL; removes the pid file.
stop_pid() {
  local pidfile=$1 name=$2 pid
  if pid_alive "$pidfile" "$name"; then
    pid=$(<"$pidfile")
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_for 10 eval "! running $pid"; then
      say "$name (pid $pid) ignored SIGTERM for 10 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_for 5 eval "! running $pid" || die "could not stop $name (pid $pid)"
    fi
    say "stopped $name (pid $pid)"
  fi
  rm -f "$pidfile"
}

# listener_pid PORT: pid of the process listening on 127.0.0.1:PORT, if ss can tell.
listener_pid() {
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n1 | cut -d= -f2 || true
}

show_log_tail() {
  [[ -f $1 ]] || return 0
  say "last lines of $1:"
  tail -n 30 "$1" >&2 || true
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo -n "$@"
  else
    die "need root for: $*"
  fi
}

# ---------------------------------------------------------------- PostgreSQL
pg_up() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }

ensure_postgres() {
  if ! pg_up; then
    local version
    version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
    [[ -n $version ]] || die "PostgreSQL is down and no cluster is configured in /etc/postgresql"
    say "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start ||
      say "pg_ctlcluster returned an error; waiting anyway"
    wait_for 60 pg_up || die "PostgreSQL did not become ready on $PG_HOST:$PG_PORT within 60 s"
  fi
  local exists
  exists=$(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -XtAc \
    "select 1 from pg_database where datname='$PG_DB'")
  if [[ $exists != 1 ]]; then
    say "creating database $PG_DB"
    createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$PG_DB"
  fi
}

# ---------------------------------------------------------------- Redis
redis_up() { [[ $(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

ensure_redis() {
  redis_up && return 0
  say "starting Redis"
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
    --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for 30 redis_up || die "Redis did not answer PING on $REDIS_HOST:$REDIS_PORT within 30 s"
}

# ---------------------------------------------------------------- sqlite3
ensure_sqlite3() {
  command -v sqlite3 >/dev/null && return 0
  say "installing sqlite3 (apt-get)"
  as_root apt-get update -q
  as_root apt-get install -y -q sqlite3
}

# ---------------------------------------------------------------- tansu
tansu_bin() { command -v tansu 2>/dev/null || echo "${CARGO_HOME:-$HOME/.cargo}/bin/tansu"; }

# The libsql (SQLite) storage engine is compiled in only with `--features libsql`; tansu's
# top-level help ends with the line "Storage engines: <list>" naming the compiled-in engines
# (empty in the default build). Also insist on the version the project has measured.
tansu_ok() {
  local bin help version
  bin=$(tansu_bin)
  [[ -x $bin ]] || return 1
  version=$("$bin" --version 2>/dev/null || true)
  [[ $version == "tansu $TANSU_VERSION" ]] || return 1
  help=$("$bin" --help 2>/dev/null || true)
  grep -Eq '^Storage engines:.*\<libsql\>' <<<"$help"
}

ensure_tansu_installed() {
  tansu_ok && return 0
  if pgrep -f "cargo install tansu" >/dev/null 2>&1; then
    say "another 'cargo install tansu' is running; waiting for it"
    while pgrep -f "cargo install tansu" >/dev/null 2>&1; do sleep 10; done
    tansu_ok && return 0
  fi
  say "installing tansu $TANSU_VERSION with SQLite storage (cargo install; ~16 min cold on 2 cores)"
  cargo install tansu --version "$TANSU_VERSION" --locked --features libsql --force
  tansu_ok || die "tansu installed, but '$(tansu_bin) --help' still lists no libsql storage engine"
}

kafka_up() { port_open "$KAFKA_HOST" "$KAFKA_PORT"; }

tansu_db() { echo "$TANSU_DIR/tansu.db"; }

sqlite_query() { sqlite3 -batch -noheader "$(tansu_db)" "$1"; }

header_table_exists() {
  [[ -f $(tansu_db) ]] &&
    [[ $(sqlite_query "select count(*) from sqlite_master where type='table' and name='header'" 2>/dev/null) == 1 ]]
}

header_index_exists() {
  [[ -f $(tansu_db) ]] &&
    [[ $(sqlite_query "select count(*) from sqlite_master where type='index' and name='header_topition_offset'" 2>/dev/null) == 1 ]]
}

start_tansu() {
  mkdir -p "$TANSU_DIR"
  local bin t0
  bin=$(tansu_bin)
  t0=$(now_ms)
  # The sqlite:// path is relative to the working directory, and tansu reads a .env there.
  # exec keeps $! the broker's own pid. Clear env vars that tansu's flags would fall back to.
  (
    cd "$TANSU_DIR" &&
      exec env -u SCHEMA_REGISTRY -u OTEL_EXPORTER_OTLP_ENDPOINT -u CLUSTER_ID \
        setsid nohup "$bin" broker \
        --listener-url "tcp://$KAFKA_HOST:$KAFKA_PORT" \
        --advertised-listener-url "tcp://$KAFKA_HOST:$KAFKA_PORT" \
        --storage-engine sqlite://tansu.db \
        >>"$TANSU_LOG" 2>&1 </dev/null 9>&-
  ) &
  echo $! >"$TANSU_PID"
  if ! wait_for 30 kafka_up; then
    show_log_tail "$TANSU_LOG"
    pid_alive "$TANSU_PID" tansu || die "tansu exited during startup (log: $TANSU_LOG)"
    die "tansu did not accept connections on $KAFKA_HOST:$KAFKA_PORT within 30 s (log: $TANSU_LOG)"
  fi
  pid_alive "$TANSU_PID" tansu || {
    show_log_tail "$TANSU_LOG"
    die "tansu (pid $(<"$TANSU_PID")) is not running, yet $KAFKA_HOST:$KAFKA_PORT answers"
  }
  say "tansu started (pid $(<"$TANSU_PID"), listening after $(($(now_ms) - t0)) ms)"
}

create_header_index() {
  say "creating index header_topition_offset in $(tansu_db)"
  sqlite_query "$HEADER_INDEX_SQL"
}

ensure_tansu() {
  mkdir -p "$TANSU_DIR"
  if kafka_up && ! pid_alive "$TANSU_PID" tansu; then
    local lpid
    lpid=$(listener_pid "$KAFKA_PORT")
    if [[ -n $lpid && $(readlink "/proc/$lpid/cwd" 2>/dev/null) == "$(cd "$TANSU_DIR" && pwd -P)" ]]; then
      say "adopting tansu already running from $TANSU_DIR (pid $lpid)"
      echo "$lpid" >"$TANSU_PID"
    else
      die "port $KAFKA_PORT is in use by another process (pid ${lpid:-unknown}:" \
        "$(tr '\0' ' ' <"/proc/${lpid:-0}/cmdline" 2>/dev/null || echo '?')); stop it first"
    fi
  fi

  if pid_alive "$TANSU_PID" tansu && kafka_up; then
    :
  else
    stop_pid "$TANSU_PID" tansu
    ensure_tansu_installed
    # With the broker stopped: add the index now if an existing database lacks it.
    if header_table_exists && ! header_index_exists; then create_header_index; fi
    start_tansu
  fi

  # A fresh database gets its schema when the broker starts; then the index is added with
  # the broker stopped (as SERVICES.md measured), and the broker started again.
  if ! header_index_exists; then
    wait_for 10 header_table_exists ||
      die "tansu is up but $(tansu_db) has no 'header' table after 10 s (log: $TANSU_LOG)"
    say "restarting tansu to add the header index"
    stop_pid "$TANSU_PID" tansu
    create_header_index
    start_tansu
  fi
  header_index_exists || die "index header_topition_offset is missing from $(tansu_db)"
}

# ---------------------------------------------------------------- osmem-server
osmem_up() { curl -sf -o /dev/null --max-time 2 "http://$OSMEM_HOST:$OSMEM_PORT/"; }

osmem_bin() {
  local dir
  dir=$(python3 -c 'import osmem_server, os; print(os.path.dirname(osmem_server.__file__))' 2>/dev/null) || return 1
  [[ -x $dir/bin/osmem-server ]] && echo "$dir/bin/osmem-server"
}

ensure_osmem() {
  if osmem_up; then
    pid_alive "$OSMEM_PID" osmem-server ||
      say "an OpenSearch-compatible server not started by this script answers on $OSMEM_HOST:$OSMEM_PORT; using it"
    return 0
  fi
  stop_pid "$OSMEM_PID" osmem-server
  local bin t0
  if ! bin=$(osmem_bin); then
    say "installing $OSMEM_PIP_SPEC (pip)"
    python3 -m pip install --quiet --disable-pip-version-check --no-input "$OSMEM_PIP_SPEC"
    bin=$(osmem_bin) || die "osmem-server installed, but its binary was not found in site-packages/osmem_server/bin"
  fi
  t0=$(now_ms)
  # -no-stdin-watch: otherwise it exits as soon as its stdin closes.
  setsid nohup "$bin" -addr "$OSMEM_HOST:$OSMEM_PORT" -no-stdin-watch >>"$OSMEM_LOG" 2>&1 </dev/null 9>&- &
  echo $! >"$OSMEM_PID"
  if ! wait_for 30 osmem_up; then
    show_log_tail "$OSMEM_LOG"
    die "osmem-server did not answer on http://$OSMEM_HOST:$OSMEM_PORT/ within 30 s (log: $OSMEM_LOG)"
  fi
  say "osmem-server started (pid $(<"$OSMEM_PID"), answering after $(($(now_ms) - t0)) ms)"
}

# ---------------------------------------------------------------- commands
# status_line NAME ADDR OK [NOTE]: OK is 1 (up), 0 (down) or 2 (answers, but not ready).
status_line() {
  local name=$1 addr=$2 ok=$3 note=${4:-} state=down
  case $ok in 1) state=up ;; 2) state=degraded ;; esac
  printf '%-11s %-9s %-15s %s\n' "$name" "$state" "$addr" "$note"
}

cmd_status() {
  local all=0 ok note
  ok=0; note=""
  if pg_up; then
    ok=1
    if [[ $(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -XtAc \
      "select 1 from pg_database where datname='$PG_DB'" 2>/dev/null) == 1 ]]; then
      note="database $PG_DB"
    else
      ok=2; note="database $PG_DB missing (run up)"
    fi
  fi
  status_line postgresql "$PG_HOST:$PG_PORT" $ok "$note"; ((ok == 1)) || all=1

  ok=0; redis_up && ok=1
  status_line redis "$REDIS_HOST:$REDIS_PORT" $ok; ((ok)) || all=1

  ok=0; note=""
  if kafka_up; then
    ok=1
    if pid_alive "$TANSU_PID" tansu; then
      note="tansu pid $(<"$TANSU_PID"), data $TANSU_DIR"
      header_index_exists || { ok=2; note="$note; header index missing (run up)"; }
    else
      note="not started by this script"
    fi
  fi
  status_line kafka "$KAFKA_HOST:$KAFKA_PORT" $ok "$note"; ((ok == 1)) || all=1

  ok=0; note=""
  if osmem_up; then
    ok=1
    if pid_alive "$OSMEM_PID" osmem-server; then
      note="osmem-server pid $(<"$OSMEM_PID")"
    else
      note="not started by this script"
    fi
  fi
  status_line opensearch "$OSMEM_HOST:$OSMEM_PORT" $ok "$note"; ((ok)) || all=1
  return $all
}

# Serialises up/down/reset. The servers started here must not inherit fd 9 (9>&- below),
# or they would hold the lock for as long as they run.
lock() {
  mkdir -p "$LOG_DIR" "$RUN_DIR" "$TANSU_DIR"
  exec 9>"$STATE_DIR/.lock"
  flock -w 1800 9 || die "another services.sh holds $STATE_DIR/.lock"
}

cmd_up() {
  lock
  ensure_postgres
  ensure_redis
  ensure_sqlite3
  ensure_tansu
  ensure_osmem
  cmd_status
}

cmd_down() {
  lock
  stop_pid "$TANSU_PID" tansu
  stop_pid "$OSMEM_PID" osmem-server
}

cmd_reset() {
  lock
  stop_pid "$TANSU_PID" tansu
  stop_pid "$OSMEM_PID" osmem-server
  if kafka_up; then
    die "port $KAFKA_PORT still answers after stopping this script's tansu; not deleting $TANSU_DIR"
  fi
  say "deleting $TANSU_DIR (every Kafka topic, record and committed offset)"
  rm -rf "$TANSU_DIR"
  cmd_up
}

cmd_env() {
  cat <<EOF
export WAYFARER_POSTGRES_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB?sslmode=disable"
export WAYFARER_KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT
export WAYFARER_REDIS_URL=redis://$REDIS_HOST:$REDIS_PORT
export WAYFARER_OPENSEARCH_URL=http://$OSMEM_HOST:$OSMEM_PORT
EOF
}

usage() {
  echo "usage: $0 up|down|status|reset|env" >&2
  exit 2
}

[[ $# -eq 1 ]] || usage
case $1 in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  env) cmd_env ;;
  -h | --help | help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" ;;
  *) usage ;;
esac
