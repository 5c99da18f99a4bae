#!/usr/bin/env bash
# Runs every benchmark scenario against every target (direct, wsbalancer, nginx, haproxy) in one run on loopback,
# then, after wsbalancer, its valve-overhead and script-memory phases, and after each proxy its system-call phase
# (strace, separate from the timed runs); prints the tables and writes bench/RESULTS.md.
# See bench/README.md for what each scenario and phase measures.
#
#   bench/run.sh [--quick] [--targets direct,wsbalancer,nginx,haproxy] [--scenarios echo,pipelined,bulk,idle,churn,failover]
#                [--idle N] [--duration S] [--overhead-rounds N] [--syscalls|--no-syscalls|--syscalls-only]
#                [--syscall-messages N] [--no-install] [--no-build] [--keep-work]
set -euo pipefail
COMMAND="bench/run.sh${*:+ $*}"
cd "$(dirname "$0")/.."
ROOT=$PWD

QUICK=0
TARGETS="direct,wsbalancer,nginx,haproxy"
SCENARIOS="echo,pipelined,bulk,idle,churn,failover"
IDLE=""
DURATION=""
OVERHEAD_ROUNDS=""
SYSCALLS=""
SYSCALLS_ONLY=0
SYSCALL_MESSAGES=""
INSTALL=1
BUILD=1
KEEP_WORK=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --targets) TARGETS="$2"; shift ;;
    --scenarios) SCENARIOS="$2"; shift ;;
    --idle) IDLE="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --overhead-rounds) OVERHEAD_ROUNDS="$2"; shift ;;
    --syscalls) SYSCALLS=1 ;;
    --no-syscalls) SYSCALLS=0 ;;
    --syscalls-only) SYSCALLS=1; SYSCALLS_ONLY=1 ;;
    --syscall-messages) SYSCALL_MESSAGES="$2"; shift ;;
    --no-install) INSTALL=0 ;;
    --no-build) BUILD=0 ;;
    --keep-work) KEEP_WORK=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
  shift
done

PARTIAL=0
if [[ $TARGETS != "direct,wsbalancer,nginx,haproxy" || $SCENARIOS != "echo,pipelined,bulk,idle,churn,failover" || $SYSCALLS_ONLY == 1 ]]; then
  PARTIAL=1
fi
if [[ $QUICK == 1 ]]; then
  MODE=quick
  WARMUP=0.5; DURATION=${DURATION:-1.5}; IDLE=${IDLE:-1000}; HOLD=0.5
  FAILOVER_DURATION=3; FAILOVER_KILL_AT=1.2; FAILOVER_DRAIN=1
  OVERHEAD_ROUNDS=${OVERHEAD_ROUNDS:-1}
  SYSCALLS=${SYSCALLS:-0}; SYSCALL_MESSAGES=${SYSCALL_MESSAGES:-5000}; SYSCALL_HOLD=3
else
  MODE=full
  # 5 s: the .NET targets' JIT tiering is still at work a few seconds in; the same warm-up applies to every target.
  WARMUP=5; DURATION=${DURATION:-10}; IDLE=${IDLE:-10000}; HOLD=3
  FAILOVER_DURATION=10; FAILOVER_KILL_AT=4; FAILOVER_DRAIN=3
  # A single echo run of the same build varies by about ±20 % here; 3 rounds give a median that is not one outlier.
  OVERHEAD_ROUNDS=${OVERHEAD_ROUNDS:-3}
  # Traced, the proxies run several times slower: 20 000 echo round trips take some 10 s each.
  SYSCALLS=${SYSCALLS:-1}; SYSCALL_MESSAGES=${SYSCALL_MESSAGES:-20000}; SYSCALL_HOLD=5
fi
if ! [[ $OVERHEAD_ROUNDS =~ ^[1-9][0-9]*$ ]]; then
  echo "run.sh: --overhead-rounds must be a positive integer" >&2
  exit 2
fi
if ! [[ $SYSCALL_MESSAGES =~ ^[1-9][0-9]*$ && $SYSCALL_MESSAGES -ge 20 ]]; then
  echo "run.sh: --syscall-messages must be an integer of at least 20" >&2
  exit 2
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Nothing here may go through a proxy: every connection is to loopback.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY || true

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

WORK=$(mktemp -d /tmp/wsb-bench.XXXXXX)
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
SUFFIX=""
if [[ $PARTIAL == 1 ]]; then SUFFIX="-partial"; fi
RESULTS="$OUT/results-$MODE$SUFFIX.jsonl"
NOTES="$WORK/notes.md"
: >"$RESULTS"
: >"$NOTES"
STARTED_PIDS=()

# The script valves of the wsbalancer-script* targets, generated here (never into the repository's scripts/). Plain
# wsbalancer and its other variants get an empty folder, so whatever lies in ./scripts cannot change the reference.
NO_SCRIPTS="$WORK/scripts-none"
PASS_SCRIPTS="$WORK/scripts-pass"
JSON_SCRIPTS="$WORK/scripts-json"
mkdir -p "$NO_SCRIPTS" "$PASS_SCRIPTS" "$JSON_SCRIPTS"
cat >"$PASS_SCRIPTS/pass-through.js" <<'EOF'
// bench/run.sh: both hooks return nothing, so every message passes unchanged, through the script runtime both ways.
function beforeTransmit(m) {}
function afterReceive(m) {}
EOF
cat >"$JSON_SCRIPTS/json-rewrite.js" <<'EOF'
// bench/run.sh: parses the echo's JSON ({"type":"echo","seq":0,"pad":"xxx..."}, --payload json), adds a field and
// renames one towards the backend, and undoes both on the way back, so the client gets its own bytes again.
function beforeTransmit(message) {
  const o = JSON.parse(message.text);
  o.via = 'wsbalancer';
  o.body = o.pad;
  delete o.pad;
  return JSON.stringify(o);
}
function afterReceive(message) {
  const o = JSON.parse(message.text);
  delete o.via;
  o.pad = o.body;
  delete o.body;
  return JSON.stringify(o);
}
EOF

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${STARTED_PIDS[@]}"; do
    for _ in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  if [[ $KEEP_WORK == 1 ]]; then log "work folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

note() { printf -- '- %s\n' "$*" >>"$NOTES"; log "note: $*"; }

# ---------------------------------------------------------------------------------------------- open files
# A proxied idle session holds two descriptors in the proxy (client + backend leg), one in the load generator.
HARD=$(ulimit -Hn)
if [[ $HARD != unlimited && $HARD -lt 1048576 ]]; then
  ulimit -Hn 1048576 2>/dev/null || ulimit -Hn "$(cat /proc/sys/fs/nr_open 2>/dev/null || echo "$HARD")" 2>/dev/null || true
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
NOFILE=$(ulimit -n)
NEEDED=$((IDLE * 2 + 1000))
if [[ $NOFILE != unlimited && $NOFILE -lt $NEEDED ]]; then
  IDLE=$(((NOFILE - 1000) / 2))
  note "open-files limit is $NOFILE (hard $(ulimit -Hn)): the idle scenario holds $IDLE sessions instead of the requested number"
fi
# What the peers may use: their own limits must stay under the process limit or they refuse to start.
PROXY_FDS=$((IDLE * 2 + 4096))
if [[ $NOFILE != unlimited && $PROXY_FDS -gt $((NOFILE - 100)) ]]; then
  PROXY_FDS=$((NOFILE - 100))
fi
log "open-files limit $NOFILE; idle sessions $IDLE; mode $MODE"

# ---------------------------------------------------------------------------------------------- build
if [[ $BUILD == 1 ]]; then
  log "building Release"
  # One build of the solution filter (sdk, host, echo backend, load generator, valve host): parallel and incremental.
  if ! dotnet build bench/bench.slnf -c Release --nologo -v quiet >"$WORK/build.log" 2>&1; then
    cat "$WORK/build.log" >&2
    if ! dotnet build bench/WsBalancer.Bench.Load -c Release --nologo -v quiet >/dev/null 2>&1 \
        || ! dotnet build bench/WsBalancer.Bench.Echo -c Release --nologo -v quiet >/dev/null 2>&1; then
      echo "run.sh: the benchmark projects failed to build" >&2
      exit 1
    fi
    note "the balancer failed to build; the wsbalancer targets are skipped"
    TARGETS=$(echo ",$TARGETS," | sed 's/,wsbalancer[^,]*//g; s/^,//; s/,$//')
  fi
fi
HOST_DLL="$ROOT/host/WsBalancer.Host/bin/Release/net10.0/WsBalancer.Host.dll"
VALVE_HOST_DLL="$ROOT/bench/WsBalancer.Bench.ValveHost/bin/Release/net10.0/WsBalancer.Bench.ValveHost.dll"
ECHO_DLL="$ROOT/bench/WsBalancer.Bench.Echo/bin/Release/net10.0/WsBalancer.Bench.Echo.dll"
LOAD_DLL="$ROOT/bench/WsBalancer.Bench.Load/bin/Release/net10.0/WsBalancer.Bench.Load.dll"

# ---------------------------------------------------------------------------------------------- peers
want() { [[ ",$TARGETS," == *",$1,"* ]]; }
want_scenario() { [[ ",$SCENARIOS," == *",$1,"* ]]; }
drop_target() { TARGETS=$(echo ",$TARGETS," | sed "s/,$1,/,/; s/^,//; s/,$//"); }

if [[ $INSTALL == 1 ]] && { { want nginx && ! command -v nginx >/dev/null; } || { want haproxy && ! command -v haproxy >/dev/null; } \
    || { [[ $SYSCALLS == 1 ]] && ! command -v strace >/dev/null; }; }; then
  log "installing nginx, haproxy and strace (apt-get; not started as services)"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d keeps the packages' maintainer scripts from starting system services.
  POLICY_CREATED=0
  if [[ -d /usr/sbin && ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && POLICY_CREATED=1
  fi
  if ! { apt-get update -qq >"$WORK/apt.log" 2>&1 \
      && { apt-get install -y -qq --no-install-recommends nginx-light haproxy strace >>"$WORK/apt.log" 2>&1 \
           || apt-get install -y -qq --no-install-recommends nginx haproxy strace >>"$WORK/apt.log" 2>&1; }; }; then
    note "apt-get could not install nginx/haproxy/strace: $(tail -n 2 "$WORK/apt.log" | tr '\n' ' ')"
  fi
  if [[ $POLICY_CREATED == 1 ]]; then rm -f /usr/sbin/policy-rc.d; fi
fi
for peer in nginx haproxy; do
  if want "$peer" && ! command -v "$peer" >/dev/null; then
    note "$peer is not installed: its column is empty"
    drop_target "$peer"
  fi
done
if [[ $SYSCALLS == 1 ]] && ! command -v strace >/dev/null; then
  note "strace is not installed: no system-call phase"
  SYSCALLS=0
fi
VERSIONS=""
command -v nginx >/dev/null && VERSIONS+="nginx $(nginx -v 2>&1 | sed 's/.*nginx\///')"
# awk reads all of haproxy's output: `head -n1` would close the pipe early, and with pipefail haproxy's SIGPIPE ends run.sh.
command -v haproxy >/dev/null && VERSIONS+="${VERSIONS:+, }HAProxy $(haproxy -v 2>/dev/null | awk 'NR == 1 {print $3}')"

# ---------------------------------------------------------------------------------------------- helpers
USED_PORTS=" "
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { # → FREE_PORT (a variable, not output: a $(…) subshell would forget USED_PORTS)
  local port
  while true; do
    port=$((20000 + RANDOM % 12000))
    [[ $USED_PORTS == *" $port "* ]] && continue
    port_open "$port" && continue
    USED_PORTS+="$port "
    FREE_PORT=$port
    return
  done
}
wait_port() { # port pid what
  for _ in $(seq 1 300); do
    port_open "$1" && return 0
    kill -0 "$2" 2>/dev/null || { log "$3 exited before listening"; return 1; }
    sleep 0.1
  done
  log "$3 did not listen on $1 within 30 s"
  return 1
}
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}
tree_rss_kib() { # pid → VmRSS of it and its children, KiB
  local total=0 p rss
  for p in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    total=$((total + ${rss:-0}))
  done
  echo "$total"
}

# ---------------------------------------------------------------------------------------------- backends
free_port; PORT_A=$FREE_PORT; free_port; PORT_B=$FREE_PORT
dotnet "$ECHO_DLL" --port "$PORT_A" --name a >"$WORK/echo-a.log" 2>&1 &
PID_A=$!; STARTED_PIDS+=("$PID_A")
dotnet "$ECHO_DLL" --port "$PORT_B" --name b >"$WORK/echo-b.log" 2>&1 &
PID_B=$!; STARTED_PIDS+=("$PID_B")
wait_port "$PORT_A" "$PID_A" "echo backend a"
wait_port "$PORT_B" "$PID_B" "echo backend b"
log "echo backends on $PORT_A (pid $PID_A) and $PORT_B (pid $PID_B)"

# ---------------------------------------------------------------------------------------------- targets
TARGET_PID=""
TARGET_URL=""
TARGET_ADMIN=""
start_target() { # name → sets TARGET_PID (empty for direct), TARGET_URL and TARGET_ADMIN (wsbalancer*: its admin API)
  local name=$1 port
  TARGET_PID=""
  TARGET_ADMIN=""
  case "$name" in
    direct)
      TARGET_URL="ws://127.0.0.1:$PORT_A/"
      return 0 ;;
    wsbalancer|wsbalancer-metrics|wsbalancer-valve|wsbalancer-script|wsbalancer-script-json)
      free_port; port=$FREE_PORT
      free_port; local admin=$FREE_PORT
      local inst=false dll=$HOST_DLL scripts=$NO_SCRIPTS args=()
      [[ $name == wsbalancer-metrics ]] && inst=true
      # The same balancer and settings with one in-process pass-through valve registered.
      [[ $name == wsbalancer-valve ]] && dll=$VALVE_HOST_DLL
      # The plain balancer with a scripts folder of one script valve: default script settings and per-call limits,
      # except the session budget (200 ms of script time per 10 s), raised to the whole window. It counts wall time,
      # engine creation included: 64 sessions starting at once on a loaded 2-core machine can spend it in their first
      # calls, and then the default on-error drops their messages, which stalls the closed-loop echo (run.sh once
      # saw 2 of 64 connections hang so at load average 25). The budget is a policy, not a cost of the message path.
      if [[ $name == wsbalancer-script* ]]; then
        args=(--scripts:session-budget=10s)
        [[ $name == wsbalancer-script ]] && scripts=$PASS_SCRIPTS
        [[ $name == wsbalancer-script-json ]] && scripts=$JSON_SCRIPTS
      fi
      BE_URLS="ws://127.0.0.1:$PORT_A,ws://127.0.0.1:$PORT_B" FE_ADDR="127.0.0.1:$port" ADM_ADDR="127.0.0.1:$admin" \
        DATA_DIR=":memory:" LOG_LEVEL=ERROR ENABLE_INST=$inst SCRIPTS_DIR="$scripts" FE_MAX_SESSIONS_PER_ADDR=0 \
        dotnet "$dll" "${args[@]}" >"$WORK/$name.log" 2>&1 &
      TARGET_PID=$!
      TARGET_ADMIN="http://127.0.0.1:$admin" ;;
    nginx)
      free_port; port=$FREE_PORT
      local dir="$WORK/nginx"
      mkdir -p "$dir/logs" "$dir/tmp"
      cat >"$dir/nginx.conf" <<EOF
worker_processes auto;
worker_rlimit_nofile $PROXY_FDS;
pid $dir/nginx.pid;
error_log $dir/logs/error.log error;
events { worker_connections $PROXY_FDS; }
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  upstream echo_backends { server 127.0.0.1:$PORT_A; server 127.0.0.1:$PORT_B; }
  server {
    listen 127.0.0.1:$port;
    location / {
      proxy_pass http://echo_backends;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_read_timeout 1h;
      proxy_send_timeout 1h;
    }
  }
}
EOF
      nginx -p "$dir" -e "$dir/logs/error.log" -c "$dir/nginx.conf" -g 'daemon off;' >"$WORK/nginx.log" 2>&1 &
      TARGET_PID=$! ;;
    haproxy)
      free_port; port=$FREE_PORT
      cat >"$WORK/haproxy.cfg" <<EOF
global
  maxconn $(((PROXY_FDS - 200) / 2))
defaults
  mode http
  timeout connect 5s
  timeout client 1h
  timeout server 1h
  timeout tunnel 1h
frontend fe
  bind 127.0.0.1:$port
  default_backend echo_backends
backend echo_backends
  balance roundrobin
  server a 127.0.0.1:$PORT_A
  server b 127.0.0.1:$PORT_B
EOF
      haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
      TARGET_PID=$! ;;
    *) log "unknown target $name"; return 1 ;;
  esac
  STARTED_PIDS+=("$TARGET_PID")
  TARGET_URL="ws://127.0.0.1:$port/"
  if ! wait_port "$port" "$TARGET_PID" "$name"; then
    tail -n 20 "$WORK/$name.log" >&2 2>/dev/null || true
    return 1
  fi
  # Let the runtime settle (JIT of the startup path) before the first scenario.
  sleep 0.5
}

# Each scenario's load, shared by the timed runs and the system-call phase so they measure the same thing; the echo
# scenario's also by the valve-overhead rounds.
ECHO_LOAD=(--connections 64 --size 128)
PIPELINED_LOAD=(--connections 64 --inflight 16 --size 128)
BULK_LOAD=(--connections 8 --inflight 2 --size 65536)
CHURN_LOAD=(--connections 16)
ECHO_ARGS=("${ECHO_LOAD[@]}" --warmup "$WARMUP" --duration "$DURATION")
echo_args() { # target → ECHO_TARGET_ARGS: ECHO_ARGS, and for the JSON script a JSON message of the same 128 bytes
  ECHO_TARGET_ARGS=("${ECHO_ARGS[@]}")
  [[ $1 == wsbalancer-script-json ]] && ECHO_TARGET_ARGS+=(--payload json)
  return 0
}

script_stats() { # target scenario round → a "script-stats" line: the balancer's /script/list after a scripted run
  local target=$1 of=$2 round=$3 list
  [[ $target == wsbalancer-script* && -n $TARGET_ADMIN ]] || return 0
  list=$(curl -s --noproxy '*' --max-time 5 "$TARGET_ADMIN/script/list" 2>/dev/null || true)
  if [[ $list == \[* ]]; then
    printf '{"scenario":"script-stats","target":"%s","of":"%s","round":%d,"ok":true,"scripts":%s}\n' "$target" "$of" "$round" "$list" >>"$RESULTS"
  else
    printf '{"scenario":"script-stats","target":"%s","of":"%s","round":%d,"ok":false,"error":"the admin API gave no /script/list"}\n' "$target" "$of" "$round" >>"$RESULTS"
  fi
}

load_command() { # target scenario args… → LOAD_CMD, the load generator's command line
  local target=$1 scenario=$2
  shift 2
  local pids=()
  [[ -n $TARGET_PID ]] && pids=(--target-pids "$TARGET_PID")
  LOAD_CMD=(dotnet "$LOAD_DLL" "$scenario" --url "$TARGET_URL" --target "$target" "${pids[@]}"
    --backend-pids "$PID_A,$PID_B" --timeout 300 --out "$RESULTS" "$@")
}

run_load() { # target scenario args… → appends one JSON line to $RESULTS
  log "$1: $2"
  load_command "$@"
  "${LOAD_CMD[@]}" >/dev/null || true
}

run_idle() { # target [extra args…] → idle scenario, with a cross-check of the target's RSS read here while the sessions are held
  local target=$1 ready="$WORK/idle-$1.ready" release="$WORK/idle-$1.release"
  shift
  local before=""
  rm -f "$ready" "$release"
  [[ -n $TARGET_PID ]] && before=$(tree_rss_kib "$TARGET_PID")
  log "$target: idle $*"
  load_command "$target" idle --connections "$IDLE" --hold 120 --settle 1 --ready-file "$ready" --release-file "$release" "$@"
  "${LOAD_CMD[@]}" >/dev/null &
  local loader=$!
  STARTED_PIDS+=("$loader")
  for _ in $(seq 1 1800); do
    [[ -e $ready ]] && break
    kill -0 "$loader" 2>/dev/null || break
    sleep 0.1
  done
  if [[ -e $ready && -n $TARGET_PID ]]; then
    local held; held=$(tree_rss_kib "$TARGET_PID")
    note "$target idle${*:+ ($*)}: runner read VmRSS $before KiB before and $held KiB with $(cat "$ready" | tr -d '\n') sessions held"
  fi
  sleep "$HOLD"
  touch "$release"
  wait "$loader" || true
}

run_target() {
  local target=$1
  if ! start_target "$target"; then
    note "$target did not start; see its log"
    # The wsbalancer-* variants only ever run the echo scenario (when named in --targets themselves).
    local scenario scenarios=$SCENARIOS
    [[ $target == wsbalancer-* ]] && scenarios=echo
    for scenario in ${scenarios//,/ }; do
      printf '{"scenario":"%s","target":"%s","ok":false,"error":"target did not start"}\n' "$scenario" "$target" >>"$RESULTS"
    done
    return 0
  fi
  local common=(--warmup "$WARMUP" --duration "$DURATION")
  if [[ $SYSCALLS_ONLY == 1 ]]; then
    : # only the system-call phase below
  elif [[ $target == wsbalancer-* ]]; then
    echo_args "$target"
    run_load "$target" echo "${ECHO_TARGET_ARGS[@]}"
    script_stats "$target" echo 1
  else
    want_scenario echo && run_load "$target" echo "${ECHO_ARGS[@]}"
    want_scenario pipelined && run_load "$target" pipelined "${PIPELINED_LOAD[@]}" "${common[@]}"
    want_scenario bulk && run_load "$target" bulk "${BULK_LOAD[@]}" "${common[@]}"
    want_scenario idle && run_idle "$target"
    want_scenario churn && run_load "$target" churn "${CHURN_LOAD[@]}" "${common[@]}"
    if want_scenario failover; then
      run_load "$target" failover --connections 200 --rate 20 --duration "$FAILOVER_DURATION" \
        --kill-at "$FAILOVER_KILL_AT" --drain "$FAILOVER_DRAIN" --kill-url "http://127.0.0.1:$PORT_A/kill"
      # The killed backend refuses new sessions until revived (the load generator revives it); make sure.
      curl -s --noproxy '*' -X POST "http://127.0.0.1:$PORT_A/revive" >/dev/null 2>&1 || true
    fi
  fi
  if [[ $SYSCALLS == 1 && -n $TARGET_PID && $target != wsbalancer-* ]]; then
    run_syscalls "$target"
  fi
  if [[ -n $TARGET_PID ]]; then
    stop_pid "$TARGET_PID"
  fi
}

# ---------------------------------------------------------------------------------------------- system calls
# The proxy's system calls per operation, in runs of their own after the timed ones (same process, same load shape):
# the load generator warms up untraced, attaches strace -c -f to the proxy's processes, runs a fixed number of
# operations and detaches. Traced, the proxy runs several times slower, so these runs report counts, never a rate.
trace_load() { # target scenario "what is traced" args… → one "syscalls" JSON line
  local target=$1 scenario=$2
  log "$target: $scenario, system calls over $3"
  shift 3
  load_command "$target" "$scenario" "$@" --strace "$(command -v strace)"
  "${LOAD_CMD[@]}" >/dev/null || true
}

run_syscalls() { # target → one "syscalls" JSON line per traced scenario
  local target=$1 sessions=$((IDLE < 1000 ? IDLE : 1000))
  want_scenario echo && trace_load "$target" echo "$SYSCALL_MESSAGES round trips" "${ECHO_LOAD[@]}" --messages "$SYSCALL_MESSAGES"
  want_scenario pipelined && trace_load "$target" pipelined "$SYSCALL_MESSAGES messages" "${PIPELINED_LOAD[@]}" --messages "$SYSCALL_MESSAGES"
  want_scenario bulk && trace_load "$target" bulk "$((SYSCALL_MESSAGES / 10)) messages" "${BULK_LOAD[@]}" --messages $((SYSCALL_MESSAGES / 10))
  want_scenario churn && trace_load "$target" churn "$((SYSCALL_MESSAGES / 20)) sessions" "${CHURN_LOAD[@]}" --messages $((SYSCALL_MESSAGES / 20))
  want_scenario idle && trace_load "$target" idle "$sessions sessions held for $SYSCALL_HOLD s" --connections "$sessions" --trace-seconds "$SYSCALL_HOLD"
  return 0
}

# ---------------------------------------------------------------------------------------------- valve overhead
# The valve-overhead table compares plain wsbalancer with wsbalancer-metrics, wsbalancer-valve and the two script
# valves. One run of each at different moments is noise on this shared machine (±20 % between runs of the same
# build), so they run interleaved in rounds, each in a fresh process, and the report takes the median per variant: a
# slow patch of the machine hits every variant alike instead of one. The order rotates by one place per round
# (round 2 starts with the second variant, round 3 with the third) so no variant always goes first.
OVERHEAD_VARIANTS=(wsbalancer wsbalancer-metrics wsbalancer-valve wsbalancer-script wsbalancer-script-json)

run_overhead_echo() { # target round → one "echo-overhead" JSON line with its round
  local target=$1 round=$2
  if ! start_target "$target"; then
    note "$target did not start for overhead round $round; see its log"
    printf '{"scenario":"echo-overhead","target":"%s","round":%d,"ok":false,"error":"target did not start"}\n' "$target" "$round" >>"$RESULTS"
    return 0
  fi
  log "$target: echo, overhead round $round of $OVERHEAD_ROUNDS"
  # --label and --round tell these lines from the main table's echo row.
  echo_args "$target"
  load_command "$target" echo "${ECHO_TARGET_ARGS[@]}" --label echo-overhead --round "$round"
  "${LOAD_CMD[@]}" >/dev/null || true
  script_stats "$target" echo-overhead "$round"
  stop_pid "$TARGET_PID"
}

run_overhead() {
  local round i count=${#OVERHEAD_VARIANTS[@]}
  for round in $(seq 1 "$OVERHEAD_ROUNDS"); do
    for i in $(seq 0 $((count - 1))); do
      run_overhead_echo "${OVERHEAD_VARIANTS[$(((round - 1 + i) % count))]}" "$round"
    done
  done
}

# ---------------------------------------------------------------------------------------------- script memory
# What one idle session's script engine costs: the idle scenario, every session having echoed one message first (a
# session creates its engine on its first message), against plain wsbalancer and wsbalancer-script (pass-through
# script), alternating which goes first, as many rounds as the overhead phase. The report compares the two
# variants' median RSS per held session; the difference is the engine's.
MEMORY_VARIANTS=(wsbalancer wsbalancer-script)

run_memory() {
  local round i target count=${#MEMORY_VARIANTS[@]}
  for round in $(seq 1 "$OVERHEAD_ROUNDS"); do
    for i in $(seq 0 $((count - 1))); do
      target=${MEMORY_VARIANTS[$(((round - 1 + i) % count))]}
      if ! start_target "$target"; then
        note "$target did not start for script-memory round $round; see its log"
        printf '{"scenario":"idle-primed","target":"%s","round":%d,"ok":false,"error":"target did not start"}\n' "$target" "$round" >>"$RESULTS"
        continue
      fi
      log "$target: script-memory round $round of $OVERHEAD_ROUNDS"
      # Held past scripts.engine-idle-timeout (10 s) and two sweeps (5 s each: the release, then the memory given
      # back once no more engines go), so what is measured is an idle session.
      run_idle "$target" --prime 1 --settle 25 --label idle-primed --round "$round"
      script_stats "$target" idle-primed "$round"
      stop_pid "$TARGET_PID"
    done
  done
}

STARTED=$(date +%s)
IFS=',' read -r -a TARGET_LIST <<<"$TARGETS"
for target in "${TARGET_LIST[@]}"; do
  run_target "$target"
  # Right after wsbalancer's own scenarios, with the same build and backends.
  if [[ $target == wsbalancer && $SYSCALLS_ONLY == 0 ]] && want_scenario echo; then
    run_overhead
  fi
  if [[ $target == wsbalancer && $SYSCALLS_ONLY == 0 ]] && want_scenario idle; then
    run_memory
  fi
done
ELAPSED=$(($(date +%s) - STARTED))
if [[ $SYSCALLS_ONLY == 1 ]]; then
  note "the system-call phase took ${ELAPSED} s ($MODE mode: $SYSCALL_MESSAGES echo round trips and pipelined messages, $((SYSCALL_MESSAGES / 10)) bulk messages, $((SYSCALL_MESSAGES / 20)) churned sessions, idle sessions traced for $SYSCALL_HOLD s)"
else
  note "scenarios took ${ELAPSED} s ($MODE mode: warm-up ${WARMUP} s, ${DURATION} s per throughput scenario, $IDLE idle sessions, failover 200 sessions × 20 msg/s for ${FAILOVER_DURATION} s, kill at ${FAILOVER_KILL_AT} s)"
fi
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
note "load average at the end: $LOADAVG (anything else running on the machine skews every figure)"

# Only a run of every scenario against every target may replace the published page.
PAGE="$ROOT/bench/RESULTS.md"
if [[ $PARTIAL == 1 ]]; then
  PAGE="$OUT/RESULTS-partial.md"
fi
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then COMMIT+="-dirty"; fi
dotnet "$LOAD_DLL" report --results "$RESULTS" --out "$PAGE" --versions "$VERSIONS" --notes-file "$NOTES" --mode "$MODE" \
  --command "$COMMAND" --commit "$COMMIT"
log "wrote ${PAGE#"$ROOT"/} (raw results: ${RESULTS#"$ROOT"/})"
