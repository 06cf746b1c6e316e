#!/usr/bin/env bash
# Local services for Wayfarer's tests and development, without Docker:
#
#   PostgreSQL 15  127.0.0.1:5432  (the machine's; started if down; database `wayfarer`)
#   Redis 7        127.0.0.1:6379  (the machine's; started if down)
#   Kafka API      127.0.0.1:9092  WAYFARER_BROKER picks the broker:
#                    nisshi  (default) nisshi 0.7.0 with SQLite storage: durable; what the tests,
#                            CI and the benchmark use. Built with cargo on first use (~17 min).
#                    noida   noida-db 0.2.3 from PyPI, a prebuilt binary: running in seconds,
#                            but it keeps Kafka data in memory only (a restart loses every
#                            topic and committed offset). The README's quick start uses it.
#   OpenSearch API 127.0.0.1:9200  osmem-server (installed with pip; in-memory)
#   SMTP sink      127.0.0.1:1025  aiosmtpd 1.4.6 (pip): every mail the API sends (password
#                                  reset links) lands as a file in $STATE_DIR/mail/new
#
# usage: infra/scripts/services.sh up|down|status|reset|env
#   up      install what is missing, start what is down, wait until all four answer
#           (a broker of the other kind that this script started is stopped first)
#   down    stop the broker and osmem-server (never PostgreSQL or Redis)
#   status  one line per service (up, down or degraded); exit status 1 unless all are up
#   reset   down, delete the broker's data (all Kafka topics and offsets), up
#   env     print `export WAYFARER_...=...` lines for these services
#
# State (logs, pid files, each broker's data) lives in
# ${WAYFARER_SERVICES_DIR:-$HOME/.wayfarer/services}. WAYFARER_KAFKA_PORT and
# WAYFARER_OSMEM_PORT (and WAYFARER_SMTP_PORT) move the broker, osmem-server (and the SMTP
# sink) off 9092, 9200 (and 1025) (with their own
# WAYFARER_SERVICES_DIR, a second set beside the first). Safe to run repeatedly, without a
# terminal and with CI=true.
#
# Measured facts behind the choices here (2026-11-30, 2 cores; ../shared/SERVICES.md):
# - nisshi (tansu's successor) passes all eight Kafka checks we run (watermarks, ListOffsets,
#   contiguous offsets, headers, commit and resume, deleting one topic leaves the others,
#   read_committed transactions). Its default build stores nothing, hence `--features libsql`
#   and sqlite:// storage; its `rama` dependency declares rust-version 1.96 but compiles on
#   1.95, hence `--ignore-rust-version`. Never use its memory:// storage: it reports wrong
#   "latest" offsets. It reads a .env from its working directory and falls back to CLUSTER_ID
#   and other variables for its flags, so it is started from its data directory with those
#   cleared. An empty fetch sleeps about half of fetch.wait.max.ms before it answers.
# - noida-db answers a waiting fetch as soon as data arrives; it needs about 150 MB of memory
#   per 100,000 retained messages; on Debian 12 its binary prints a harmless glibc "weak
#   version" warning. It never hands a SIGKILLed consumer's partitions to the group's other
#   members (the crash-recovery test fails on it), so the suite runs on nisshi.
# - tansu 0.6 (used until 2026-11-30) is gone: deleting one topic deleted every topic's data,
#   it had no transactions, and every fetch re-prepared its SQL.
set -euo pipefail

STATE_DIR=${WAYFARER_SERVICES_DIR:-$HOME/.wayfarer/services}
LOG_DIR=$STATE_DIR/logs
RUN_DIR=$STATE_DIR/run

BROKER=${WAYFARER_BROKER:-nisshi}
BROKER_ASKED=${WAYFARER_BROKER:+yes} # `status` and `env` describe the running broker unless asked
case $BROKER in
  nisshi | noida) ;;
  *)
    printf '[services] error: WAYFARER_BROKER must be nisshi or noida, not "%s"\n' "$BROKER" >&2
    exit 2
    ;;
esac

PG_HOST=127.0.0.1
PG_PORT=5432
PG_USER=postgres
PG_DB=wayfarer
REDIS_HOST=127.0.0.1
REDIS_PORT=6379
KAFKA_HOST=127.0.0.1
KAFKA_PORT=${WAYFARER_KAFKA_PORT:-9092}
OSMEM_HOST=127.0.0.1
OSMEM_PORT=${WAYFARER_OSMEM_PORT:-9200}

NISSHI_VERSION=0.7.0
NOIDA_PIP_SPEC=noida-db==0.2.3
OSMEM_PIP_SPEC=osmem-server

OSMEM_PID=$RUN_DIR/osmem-server.pid
OSMEM_LOG=$LOG_DIR/osmem-server.log

SMTP_HOST=127.0.0.1
SMTP_PORT=${WAYFARER_SMTP_PORT:-1025}
AIOSMTPD_PIP_SPEC=aiosmtpd==1.4.6
MAIL_DIR=$STATE_DIR/mail
SMTP_PID=$RUN_DIR/smtp-sink.pid
SMTP_LOG=$LOG_DIR/smtp-sink.log

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

# ---------------------------------------------------------------- Kafka brokers
# Each broker has its own data directory, pid file and log: $STATE_DIR/<broker>/,
# $RUN_DIR/<broker>.pid, $LOG_DIR/<broker>.log. The pid file names the broker's own process,
# whose executable is `nisshi` or `noida-db`.
broker_dir() { echo "$STATE_DIR/$1"; }
broker_pidfile() { echo "$RUN_DIR/$1.pid"; }
broker_log() { echo "$LOG_DIR/$1.log"; }
broker_exe() { case $1 in nisshi) echo nisshi ;; noida) echo noida-db ;; esac; }
broker_running() { pid_alive "$(broker_pidfile "$1")" "$(broker_exe "$1")"; }
other_broker() { case $1 in nisshi) echo noida ;; noida) echo nisshi ;; esac; }

kafka_up() { port_open "$KAFKA_HOST" "$KAFKA_PORT"; }

nisshi_bin() { command -v nisshi 2>/dev/null || echo "${CARGO_HOME:-$HOME/.cargo}/bin/nisshi"; }

# The SQLite engine is compiled in only with `--features libsql`; the top-level help ends with
# "Storage engines: <list>" naming the compiled-in engines. Insist on the measured version.
nisshi_ok() {
  local bin
  bin=$(nisshi_bin)
  [[ -x $bin ]] || return 1
  [[ $("$bin" --version 2>/dev/null || true) == "nisshi $NISSHI_VERSION" ]] || return 1
  grep -Eq '^Storage engines:.*\<libsql\>' <<<"$("$bin" --help 2>/dev/null || true)"
}

ensure_nisshi_installed() {
  nisshi_ok && return 0
  if pgrep -f "cargo install nisshi" >/dev/null 2>&1; then
    say "another 'cargo install nisshi' is running; waiting for it"
    while pgrep -f "cargo install nisshi" >/dev/null 2>&1; do sleep 10; done
    nisshi_ok && return 0
  fi
  say "installing nisshi $NISSHI_VERSION with SQLite storage (cargo install; ~17 min cold on 2 cores)"
  cargo install nisshi --version "$NISSHI_VERSION" --locked --ignore-rust-version \
    --features libsql --force
  nisshi_ok || die "nisshi installed, but '$(nisshi_bin) --help' lists no libsql storage engine"
}

noida_bin() {
  local dir
  dir=$(python3 -c 'import noida_db, os; print(os.path.dirname(noida_db.__file__))' 2>/dev/null) || return 1
  [[ -f $dir/noida-db ]] || return 1
  chmod +x "$dir/noida-db" # the wheel's launcher does this on first use; we run it directly
  echo "$dir/noida-db"
}

ensure_noida_installed() {
  local bin
  if bin=$(noida_bin) && [[ $("$bin" version 2>/dev/null) == *0.2.3* ]]; then return 0; fi
  say "installing $NOIDA_PIP_SPEC (pip; a prebuilt binary)"
  python3 -m pip install --quiet --disable-pip-version-check --no-input "$NOIDA_PIP_SPEC"
  noida_bin >/dev/null || die "noida-db installed, but its binary was not found in site-packages/noida_db"
}

# start_broker NAME: starts it from its data directory and waits until the port answers.
# exec keeps $! the broker's own pid; the servers must not inherit the lock (fd 9).
start_broker() {
  local name=$1 dir log bin t0
  dir=$(broker_dir "$name")
  log=$(broker_log "$name")
  mkdir -p "$dir"
  t0=$(now_ms)
  case $name in
    nisshi)
      bin=$(nisshi_bin)
      (
        cd "$dir" &&
          exec env -u SCHEMA_REGISTRY -u OTEL_EXPORTER_OTLP_ENDPOINT -u CLUSTER_ID \
            setsid nohup "$bin" broker \
            --listener-url "tcp://$KAFKA_HOST:$KAFKA_PORT" \
            --advertised-listener-url "tcp://$KAFKA_HOST:$KAFKA_PORT" \
            --storage-engine sqlite://nisshi.db \
            >>"$log" 2>&1 </dev/null 9>&-
      ) &
      ;;
    noida)
      bin=$(noida_bin)
      (
        cd "$dir" &&
          exec setsid nohup "$bin" start --only kafka --host "$KAFKA_HOST" \
            --kafka-port "$KAFKA_PORT" --data-dir "$dir" \
            >>"$log" 2>&1 </dev/null 9>&-
      ) &
      ;;
  esac
  echo $! >"$(broker_pidfile "$name")"
  if ! wait_for 30 kafka_up; then
    show_log_tail "$log"
    broker_running "$name" || die "$name exited during startup (log: $log)"
    die "$name did not accept connections on $KAFKA_HOST:$KAFKA_PORT within 30 s (log: $log)"
  fi
  broker_running "$name" || {
    show_log_tail "$log"
    die "$name (pid $(<"$(broker_pidfile "$name")")) is not running, yet $KAFKA_HOST:$KAFKA_PORT answers"
  }
  say "$name started (pid $(<"$(broker_pidfile "$name")"), listening after $(($(now_ms) - t0)) ms)"
}

stop_broker() { stop_pid "$(broker_pidfile "$1")" "$(broker_exe "$1")"; }

ensure_broker() {
  local other
  other=$(other_broker "$BROKER")
  if broker_running "$other"; then
    say "stopping $other (started here earlier) to run $BROKER on port $KAFKA_PORT"
    [[ $other == noida ]] && say "noida keeps nothing across a restart: its topics are gone"
    stop_broker "$other"
  fi
  mkdir -p "$(broker_dir "$BROKER")"
  if kafka_up && ! broker_running "$BROKER"; then
    local lpid
    lpid=$(listener_pid "$KAFKA_PORT")
    if [[ -n $lpid && $(readlink "/proc/$lpid/cwd" 2>/dev/null) == "$(cd "$(broker_dir "$BROKER")" && pwd -P)" ]]; then
      say "adopting $BROKER already running from $(broker_dir "$BROKER") (pid $lpid)"
      echo "$lpid" >"$(broker_pidfile "$BROKER")"
    else
      die "port $KAFKA_PORT is in use by another process (pid ${lpid:-unknown}:" \
        "$(tr '\0' ' ' <"/proc/${lpid:-0}/cmdline" 2>/dev/null || echo '?')); stop it first"
    fi
  fi
  broker_running "$BROKER" && kafka_up && return 0
  stop_broker "$BROKER"
  case $BROKER in
    nisshi) ensure_nisshi_installed ;;
    noida) ensure_noida_installed ;;
  esac
  start_broker "$BROKER"
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

# ---------------------------------------------------------------- SMTP sink
smtp_up() { port_open "$SMTP_HOST" "$SMTP_PORT"; }

# The sink is a Python module: its pid file names a python3 process.
# (`python3` may be a pyenv shim that execs the real interpreter, so ask the interpreter.)
python_exe() { python3 -c 'import os, sys; print(os.path.basename(os.path.realpath(sys.executable)))'; }

ensure_smtp() {
  # aiosmtpd's Mailbox handler writes a Maildir but does not create one.
  mkdir -p "$MAIL_DIR/tmp" "$MAIL_DIR/new" "$MAIL_DIR/cur"
  if smtp_up; then
    pid_alive "$SMTP_PID" "$(python_exe)" ||
      say "an SMTP server not started by this script answers on $SMTP_HOST:$SMTP_PORT; using it"
    return 0
  fi
  stop_pid "$SMTP_PID" "$(python_exe)"
  if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    say "installing $AIOSMTPD_PIP_SPEC (pip)"
    python3 -m pip install --quiet --disable-pip-version-check --no-input "$AIOSMTPD_PIP_SPEC"
  fi
  local t0
  t0=$(now_ms)
  setsid nohup python3 -m aiosmtpd -n -l "$SMTP_HOST:$SMTP_PORT" \
    -c aiosmtpd.handlers.Mailbox "$MAIL_DIR" >>"$SMTP_LOG" 2>&1 </dev/null 9>&- &
  echo $! >"$SMTP_PID"
  if ! wait_for 30 smtp_up; then
    show_log_tail "$SMTP_LOG"
    die "the SMTP sink did not listen on $SMTP_HOST:$SMTP_PORT within 30 s (log: $SMTP_LOG)"
  fi
  say "SMTP sink started (pid $(<"$SMTP_PID"), listening after $(($(now_ms) - t0)) ms; mail in $MAIL_DIR/new)"
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
    if broker_running "$BROKER"; then
      note="$BROKER pid $(<"$(broker_pidfile "$BROKER")"), data $(broker_dir "$BROKER")"
      [[ $BROKER == noida ]] && note="$note (in memory)"
    elif broker_running "$(other_broker "$BROKER")"; then
      note="$(other_broker "$BROKER") pid $(<"$(broker_pidfile "$(other_broker "$BROKER")")"), data $(broker_dir "$(other_broker "$BROKER")")"
      [[ $BROKER == nisshi ]] && note="$note (in memory)"
      [[ -n $BROKER_ASKED ]] && { ok=2; note="$note; not WAYFARER_BROKER=$BROKER (run up)"; }
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

  ok=0; note=""
  if smtp_up; then
    ok=1
    if pid_alive "$SMTP_PID" "$(python_exe)"; then
      note="aiosmtpd pid $(<"$SMTP_PID"), mail in $MAIL_DIR/new"
    else
      note="not started by this script"
    fi
  fi
  status_line smtp "$SMTP_HOST:$SMTP_PORT" $ok "$note"; ((ok)) || all=1

  ok=0; note=""
  browser_ok && { ok=1; note="$(/usr/bin/chromium --version 2>/dev/null | head -n1)"; }
  status_line chromium "/usr/bin/chromedriver" $ok "$note"; ((ok)) || all=1
  return $all
}

# ---------------------------------------------------------------- Chromium (admin page tests)
browser_ok() { [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; }

ensure_browser() {
  browser_ok && return 0
  say "installing Debian's chromium and chromium-driver (headless admin page tests)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    chromium chromium-driver >"$LOG_DIR/apt-chromium.log" 2>&1 ||
    { as_root apt-get update -q >>"$LOG_DIR/apt-chromium.log" 2>&1 &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        chromium chromium-driver >>"$LOG_DIR/apt-chromium.log" 2>&1; } ||
    { show_log_tail "$LOG_DIR/apt-chromium.log"; die "could not install chromium"; }
}

# Serialises up/down/reset. The servers started here must not inherit fd 9 (9>&- below),
# or they would hold the lock for as long as they run.
lock() {
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  exec 9>"$STATE_DIR/.lock"
  flock -w 1800 9 || die "another services.sh holds $STATE_DIR/.lock"
}

cmd_up() {
  lock
  ensure_postgres
  ensure_redis
  ensure_broker
  ensure_osmem
  ensure_smtp
  ensure_browser
  cmd_status
}

cmd_down() {
  lock
  stop_broker nisshi
  stop_broker noida
  stop_pid "$OSMEM_PID" osmem-server
  stop_pid "$SMTP_PID" "$(python_exe)"
}

cmd_reset() {
  lock
  stop_broker nisshi
  stop_broker noida
  stop_pid "$OSMEM_PID" osmem-server
  if kafka_up; then
    die "port $KAFKA_PORT still answers after stopping this script's brokers; not deleting their data"
  fi
  say "deleting $(broker_dir "$BROKER") (every Kafka topic, record and committed offset)"
  rm -rf "$(broker_dir "$BROKER")"
  cmd_up
}

cmd_env() {
  local running=$BROKER
  if [[ -z $BROKER_ASKED ]] && ! broker_running "$BROKER" && broker_running "$(other_broker "$BROKER")"; then
    running=$(other_broker "$BROKER")
  fi
  cat <<EOF
export WAYFARER_POSTGRES_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$PG_DB?sslmode=disable"
export WAYFARER_KAFKA_BROKERS=$KAFKA_HOST:$KAFKA_PORT
export WAYFARER_REDIS_URL=redis://$REDIS_HOST:$REDIS_PORT
export WAYFARER_OPENSEARCH_URL=http://$OSMEM_HOST:$OSMEM_PORT
export WAYFARER_BROKER=$running
export WAYFARER_SMTP_HOST=$SMTP_HOST
export WAYFARER_SMTP_PORT=$SMTP_PORT
export WAYFARER_MAIL_DIR=$MAIL_DIR
export WAYFARER_CHROMEDRIVER=/usr/bin/chromedriver
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
