#!/usr/bin/env bash
# Ops script of one bk-job service, installed as $BK_HOME/job/backend/job-X/bin/job-X.sh:
# the service is taken from this file's name and BK_HOME from where it sits.
#
#   job-X.sh start|stop|status|restart
#
# Like upstream it runs `java $JAVA_OPTS -jar job-X.jar` under nohup in its own session,
# output to /dev/null (the service logs under $BK_HOME/logs/job/job-X/). Unlike upstream,
# `status` tells the truth with its exit code:
#   0  running, and its port answers
#   1  running, but its port does not answer
#   3  not running
# A process counts as the service only if its command line runs this service's jar
# (job-X.jar here or under releases/), whoever started it; the pid file is a hint.
#
# JAVA_OPTS come from a `JAVA_OPTS=...` line in $BK_HOME/etc/job/job-X.env if there is one
# (split on blanks, no shell expansion; a `JAVA=...` line picks the java binary), else from
# the defaults below, which equal deploy/bk-job/catalog.yaml's.
# Environment: STOP_TIMEOUT (seconds, default 60), START_TIMEOUT (seconds to wait for the
# port on start, default 180).
set -euo pipefail

die() {
  printf '%s\n' "$*" >&2
  exit "${2:-1}"
}

SELF=${BASH_SOURCE[0]}
SERVICE=$(basename -- "$SELF" .sh)
[[ $SERVICE =~ ^job-[a-z][a-z0-9-]*$ ]] \
  || die "cannot tell the service from the script name '$SELF' (expected job-X.sh)" 2
BIN_DIR=$(cd -- "$(dirname -- "$SELF")" && pwd)
SERVICE_DIR=$(dirname -- "$BIN_DIR")
[[ $(basename -- "$SERVICE_DIR") == "$SERVICE" && $(basename -- "$BIN_DIR") == bin ]] \
  || die "$SERVICE: expected to live in \$BK_HOME/job/backend/$SERVICE/bin/, not $BIN_DIR" 2
BK_HOME=$(cd -- "$SERVICE_DIR/../../.." && pwd)
SERVICE_DIR_PHYSICAL=$(cd -- "$SERVICE_DIR" && pwd -P)
SHORT=${SERVICE#job-}
JAR=$SERVICE_DIR/$SERVICE.jar
PID_FILE=$SERVICE_DIR/$SERVICE.pid
CONFIG=$BK_HOME/etc/job/application-$SHORT.yml
# job-assemble (3.8+ lite) keeps its configuration in its own folder.
[[ -e $CONFIG || ! -e $BK_HOME/etc/job/$SERVICE/application-$SHORT.yml ]] \
  || CONFIG=$BK_HOME/etc/job/$SERVICE/application-$SHORT.yml
ENV_FILE=$BK_HOME/etc/job/$SERVICE.env
LOG_DIR=$BK_HOME/logs/job/$SERVICE
STOP_TIMEOUT=${STOP_TIMEOUT:-60}
START_TIMEOUT=${START_TIMEOUT:-180}
[[ $STOP_TIMEOUT =~ ^[0-9]+$ ]] || die "STOP_TIMEOUT must be a number of seconds, got '$STOP_TIMEOUT'" 2
[[ $START_TIMEOUT =~ ^[0-9]+$ ]] || die "START_TIMEOUT must be a number of seconds, got '$START_TIMEOUT'" 2

# Upstream default ports, used only when the rendered config cannot be read.
default_port() {
  case $SERVICE in
    job-config) echo 10500 ;; job-crontab) echo 10501 ;; job-execute) echo 10502 ;;
    job-gateway) echo 10503 ;; job-logsvr) echo 10504 ;; job-manage) echo 10505 ;;
    job-backup) echo 10507 ;; job-analysis) echo 10508 ;; job-ticket) echo 10509 ;;
    job-file-gateway) echo 19809 ;; job-file-worker) echo 19810 ;; job-assemble) echo 10550 ;;
    *) echo "" ;;
  esac
}

now_ms() {
  local us=${EPOCHREALTIME//[!0-9]/}
  echo $((10#$us / 1000))
}

# Fills JAVA_BIN and JAVA_OPTS_ARR.
load_java_opts() {
  JAVA_BIN=""
  JAVA_OPTS_ARR=(-Xms16m -Xmx96m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k
    -Dfile.encoding=UTF-8 -Dspring.profiles.active=prod
    "-Dspring.config.additional-location=file://$BK_HOME/etc/job/application-$SHORT.yml"
    "-Djob.log.dir=$BK_HOME/logs/job")
  if [[ -f $ENV_FILE ]]; then
    local line key value
    while IFS= read -r line || [[ -n $line ]]; do
      line=${line%$'\r'}
      [[ $line =~ ^[[:space:]]*(export[[:space:]]+)?(JAVA_OPTS|JAVA)=(.*)$ ]] || continue
      key=${BASH_REMATCH[2]} value=${BASH_REMATCH[3]}
      if [[ ${#value} -ge 2 && ( ${value:0:1} == '"' || ${value:0:1} == "'" ) && ${value: -1} == "${value:0:1}" ]]; then
        value=${value:1:${#value}-2}
      fi
      if [[ $key == JAVA_OPTS ]]; then
        read -r -a JAVA_OPTS_ARR <<<"$value"
      else
        JAVA_BIN=$value
      fi
    done <"$ENV_FILE"
  fi
  if [[ -z $JAVA_BIN ]]; then
    if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/java ]]; then JAVA_BIN=$JAVA_HOME/bin/java; else JAVA_BIN=java; fi
  fi
}

# is_ours PID: true when PID is alive and runs this service's jar.
is_ours() {
  local pid=$1 stat state
  [[ $pid =~ ^[0-9]+$ && -r /proc/$pid/cmdline ]] || return 1
  stat=$(<"/proc/$pid/stat") 2>/dev/null || return 1
  state=${stat##*) }
  [[ ${state:0:1} != Z ]] || return 1
  local -a args=()
  mapfile -d '' -t args <"/proc/$pid/cmdline" 2>/dev/null || return 1
  local i jar dir
  for ((i = 0; i + 1 < ${#args[@]}; i++)); do
    [[ ${args[i]} == -jar ]] || continue
    jar=${args[i + 1]}
    if [[ $jar != /* ]]; then
      local cwd
      cwd=$(readlink "/proc/$pid/cwd" 2>/dev/null) || return 1
      jar=$cwd/$jar
    fi
    [[ $(basename -- "$jar") == "$SERVICE.jar" ]] || return 1
    dir=$(dirname -- "$jar")
    case $dir in
      "$SERVICE_DIR" | "$SERVICE_DIR_PHYSICAL" | "$SERVICE_DIR"/releases/* | "$SERVICE_DIR_PHYSICAL"/releases/*) return 0 ;;
    esac
    return 1
  done
  return 1
}

# Prints the pids running this service, the pid file's first.
find_pids() {
  local -a found=()
  local pid
  if [[ -f $PID_FILE ]]; then
    pid=$(head -c 32 -- "$PID_FILE" 2>/dev/null | tr -dc '0-9') || true
    if [[ -n $pid ]] && is_ours "$pid"; then found+=("$pid"); fi
  fi
  local f
  # One grep over every command line, then the exact check on the few candidates.
  while IFS= read -r f; do
    pid=${f#/proc/}
    pid=${pid%/cmdline}
    [[ ${#found[@]} -gt 0 && $pid == "${found[0]}" ]] && continue
    if is_ours "$pid"; then found+=("$pid"); fi
  done < <(grep -lsF -- "$SERVICE.jar" /proc/[0-9]*/cmdline 2>/dev/null || true)
  ((${#found[@]})) && printf '%s\n' "${found[@]}"
  return 0
}

# Fills ADDR and PORT from the rendered config (server.address, server.port).
load_endpoint() {
  ADDR="" PORT=""
  if [[ -r $CONFIG ]]; then
    local out
    out=$(awk '
      /^[^[:space:]#]/ { in_server = ($0 ~ /^server:[[:space:]]*(#.*)?$/) ; next }
      in_server && /^  [a-z]/ {
        line = $0; sub(/[[:space:]]+#.*$/, "", line)
        if (match(line, /^  (port|address):[[:space:]]*/)) {
          key = line; sub(/^  /, "", key); sub(/:.*/, "", key)
          val = substr(line, RLENGTH + 1); gsub(/^["'\'']|["'\'']$/, "", val)
          print key "=" val
        }
      }' "$CONFIG")
    local line
    while IFS= read -r line; do
      case $line in
        port=*) PORT=${line#port=} ;;
        address=*) ADDR=${line#address=} ;;
      esac
    done <<<"$out"
  fi
  [[ $PORT =~ ^[0-9]+$ ]] || PORT=$(default_port)
  [[ -n $ADDR && $ADDR != 0.0.0.0 && $ADDR != '::' ]] || ADDR=127.0.0.1
}

port_answers() {
  [[ -n $PORT ]] || return 1
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$ADDR" "$PORT" 2>/dev/null
}

release_note() {
  if [[ -L $JAR ]]; then
    printf ', release %s' "$(readlink -- "$JAR")"
  fi
}

# Log sizes before a start, so that only what this start wrote is shown.
mark_logs() {
  MARK_MAIN=$(stat -c %s -- "$LOG_DIR/$SERVICE.log" 2>/dev/null || echo 0)
  MARK_ERR=$(stat -c %s -- "$LOG_DIR/error.log" 2>/dev/null || echo 0)
}

# Prints the last lines this start wrote: error.log's if any, else the service log's.
show_new_log() {
  local f=$LOG_DIR/error.log from=$MARK_ERR
  if (($(stat -c %s -- "$f" 2>/dev/null || echo 0) <= from)); then
    f=$LOG_DIR/$SERVICE.log from=$MARK_MAIN
  fi
  if (($(stat -c %s -- "$f" 2>/dev/null || echo 0) <= from)); then
    printf 'nothing logged under %s\n' "$LOG_DIR"
    return 0
  fi
  printf 'last lines of %s:\n' "$f"
  tail -c "+$((from + 1))" -- "$f" | tail -n 8 | sed 's/^/  /'
}

cmd_status() {
  local -a pids
  mapfile -t pids < <(find_pids)
  if ((${#pids[@]} == 0)); then
    printf '%s: not running\n' "$SERVICE"
    return 3
  fi
  load_endpoint
  local more=""
  ((${#pids[@]} > 1)) && more=" (also pid ${pids[*]:1})"
  if port_answers; then
    printf '%s: running (pid %s%s), port %s:%s answers%s\n' "$SERVICE" "${pids[0]}" "$more" "$ADDR" "$PORT" "$(release_note)"
    return 0
  fi
  printf '%s: running (pid %s%s), but port %s:%s does not answer%s\n' "$SERVICE" "${pids[0]}" "$more" "$ADDR" "${PORT:-?}" "$(release_note)"
  return 1
}

cmd_start() {
  local -a pids
  mapfile -t pids < <(find_pids)
  if ((${#pids[@]})); then
    printf '%s: already running (pid %s)\n' "$SERVICE" "${pids[0]}"
    return 0
  fi
  [[ -e $JAR ]] || die "$SERVICE: no jar at $JAR"
  load_java_opts
  command -v -- "$JAVA_BIN" >/dev/null || die "$SERVICE: java not found ('$JAVA_BIN'); set JAVA_HOME or a JAVA= line in $ENV_FILE"
  mkdir -p -- "$LOG_DIR"
  mark_logs
  cd -- "$SERVICE_DIR"
  # Own session: the service outlives this shell, an ssh channel or an agent restart.
  setsid nohup "$JAVA_BIN" "${JAVA_OPTS_ARR[@]}" -jar "$JAR" </dev/null >/dev/null 2>&1 &
  local pid=$!
  printf '%s\n' "$pid" >"$PID_FILE.tmp.$$" && mv -f -- "$PID_FILE.tmp.$$" "$PID_FILE"
  load_endpoint
  local started deadline
  started=$(now_ms)
  deadline=$((started + START_TIMEOUT * 1000))
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      local code=0
      wait "$pid" || code=$?
      rm -f -- "$PID_FILE"
      printf '%s: exited with status %s during start-up\n' "$SERVICE" "$code"
      show_new_log
      return 1
    fi
    if port_answers; then
      printf '%s: started (pid %s), port %s:%s answers after %ss\n' "$SERVICE" "$pid" "$ADDR" "$PORT" \
        "$(( ($(now_ms) - started) / 1000 ))"
      return 0
    fi
    if (($(now_ms) >= deadline)); then
      printf '%s: running (pid %s) but port %s:%s does not answer after %ss\n' "$SERVICE" "$pid" "$ADDR" "$PORT" "$START_TIMEOUT"
      show_new_log
      return 1
    fi
    sleep 0.2
  done
}

cmd_stop() {
  local -a pids
  mapfile -t pids < <(find_pids)
  if ((${#pids[@]} == 0)); then
    rm -f -- "$PID_FILE"
    printf '%s: not running\n' "$SERVICE"
    return 0
  fi
  local started deadline pid
  started=$(now_ms)
  kill -TERM "${pids[@]}" 2>/dev/null || true
  deadline=$((started + STOP_TIMEOUT * 1000))
  local -a left=("${pids[@]}")
  while :; do
    local -a still=()
    for pid in "${left[@]}"; do is_ours "$pid" && still+=("$pid"); done
    left=("${still[@]+"${still[@]}"}")
    if ((${#left[@]} == 0)); then
      local ms=$(($(now_ms) - started))
      rm -f -- "$PID_FILE"
      printf '%s: stopped by SIGTERM after %d.%ds (pid %s)\n' "$SERVICE" $((ms / 1000)) $((ms % 1000 / 100)) "${pids[*]}"
      return 0
    fi
    (($(now_ms) < deadline)) || break
    sleep 0.2
  done
  kill -KILL "${left[@]}" 2>/dev/null || true
  local i
  for ((i = 0; i < 50; i++)); do
    local -a still=()
    for pid in "${left[@]}"; do is_ours "$pid" && still+=("$pid"); done
    if ((${#still[@]} == 0)); then
      rm -f -- "$PID_FILE"
      printf '%s: did not stop within %ss of SIGTERM; stopped by SIGKILL (pid %s)\n' "$SERVICE" "$STOP_TIMEOUT" "${left[*]}"
      return 0
    fi
    sleep 0.1
  done
  printf '%s: still running after SIGKILL (pid %s)\n' "$SERVICE" "${left[*]}" >&2
  return 1
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status)
    rc=0
    cmd_status || rc=$?
    exit "$rc"
    ;;
  restart)
    cmd_stop
    cmd_start
    ;;
  *) die "usage: $SERVICE.sh start|stop|status|restart" 2 ;;
esac
