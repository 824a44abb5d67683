# Sourced by test-ray.sh and bench-ray.sh: a Ray cluster of separate `ray start` processes on
# 127.0.0.1 (a head with no CPUs, and one-CPU worker nodes), each node in its own process
# group so that it can be stopped, or lost (kill -9), on its own.
#
#   cluster_isolate "$0" "$@"     re-runs the calling script in a network namespace of its own
#                                 with only the loopback interface (see below)
#   cluster_start_head            sets RAY_ADDRESS
#   cluster_start_worker NAME     a worker node with --num-cpus=1; its process group id in
#                                 NODE_PGID[NAME]
#   cluster_kill_worker NAME      kill -9 of the whole node (raylet, workers, their hero-ids)
#   cluster_stop                  every node started here (TERM, then KILL); always via trap
#
# Needs RAY (the ray executable) and CLUSTER_DIR (a fresh, short folder: Ray's sockets live
# there and Unix socket paths are limited to 107 bytes).

declare -A NODE_PGID=()

# Ray maps --node-ip-address=127.0.0.1 to the host's primary address (it is made for
# clusters of machines) and binds its servers to all interfaces. To keep the test cluster on
# loopback, the calling script runs again inside `unshare -n` (as root) or `unshare -rn` (a
# user namespace, for other users) where `lo` is the only interface, so every node, the
# driver and the hero-id tasks talk over 127.0.0.1 and nothing is reachable from outside.
# Where namespaces are not allowed it says so and runs on the host network.
cluster_isolate() {
  if [ -n "${HERO_RAY_NETNS:-}" ]; then
    [ "$HERO_RAY_NETNS" = 1 ] && ip link set lo up
    return 0
  fi
  if command -v ip >/dev/null && command -v unshare >/dev/null; then
    if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
      export HERO_RAY_NETNS=1
      exec unshare -n "$@"
    elif unshare -rn true 2>/dev/null; then
      export HERO_RAY_NETNS=1
      exec unshare -rn "$@"
    fi
  fi
  echo "local-cluster: no network namespace here; Ray runs on the host's network" >&2
  export HERO_RAY_NETNS=host
}
NODE_BASE_PORT=0

# A free block of 200 ports starting at a random base between 20000 and 59000.
cluster_pick_ports() {
  local base
  for _ in $(seq 50); do
    base=$((20000 + RANDOM % 39000))
    if ! ss -ltn 2>/dev/null | awk '{print $4}' | grep -qE ":($base|$((base + 1)))\$"; then
      NODE_BASE_PORT=$base
      return 0
    fi
  done
  echo "local-cluster: no free ports" >&2
  return 1
}

# Ports for node number $1 (0 = head): distinct per node, since all share one address.
_node_ports() {
  local i=$1 b=$((NODE_BASE_PORT + 10 + $1 * 40))
  echo "--node-manager-port=$b --object-manager-port=$((b + 1))" \
    "--metrics-export-port=$((b + 2)) --runtime-env-agent-port=$((b + 3))" \
    "--dashboard-agent-listen-port=$((b + 4)) --dashboard-agent-grpc-port=$((b + 5))" \
    "--min-worker-port=$((b + 10)) --max-worker-port=$((b + 39))"
}

_node_count=0

_start_node() {  # NAME LOGFILE ARGS...
  local name=$1 logf=$2
  shift 2
  # setsid: the node (ray start --block, raylet, workers, hero-id) is one process group.
  setsid "$RAY" start --block "$@" >"$logf" 2>&1 &
  NODE_PGID[$name]=$!
}

cluster_start_head() {
  [ "$NODE_BASE_PORT" -ne 0 ] || cluster_pick_ports
  mkdir -p "$CLUSTER_DIR"
  # shellcheck disable=SC2046
  _start_node head "$CLUSTER_DIR/head.log" --head --node-ip-address=127.0.0.1 \
    --port="$NODE_BASE_PORT" --num-cpus=0 --include-dashboard=false --disable-usage-stats \
    --temp-dir="$CLUSTER_DIR/ray" $(_node_ports 0)
  export RAY_ADDRESS="127.0.0.1:$NODE_BASE_PORT"
  _wait_for_cpus 0
}

cluster_start_worker() {
  local name=$1
  _node_count=$((_node_count + 1))
  local before
  before=$(_cluster_cpus)
  # shellcheck disable=SC2046
  _start_node "$name" "$CLUSTER_DIR/$name.log" --address="$RAY_ADDRESS" \
    --node-ip-address=127.0.0.1 --num-cpus=1 --disable-usage-stats $(_node_ports "$_node_count")
  _wait_for_cpus $((before + 1))
}

_cluster_cpus() {
  "$RAY_PYTHON" - <<'EOF' 2>/dev/null || echo -1
import ray, os
ray.init(address=os.environ["RAY_ADDRESS"], logging_level="ERROR", log_to_driver=False)
print(int(sum(n["Resources"].get("CPU", 0) for n in ray.nodes() if n["Alive"])))
EOF
}

_wait_for_cpus() {  # until the live nodes have $1 CPUs (120 s at most)
  for _ in $(seq 60); do
    [ "$(_cluster_cpus)" = "$1" ] && return 0
    sleep 2
  done
  echo "local-cluster: the cluster did not reach $1 CPUs; logs in $CLUSTER_DIR" >&2
  return 1
}

cluster_kill_worker() {
  local pgid=${NODE_PGID[$1]}
  kill -KILL -- "-$pgid" 2>/dev/null || true
  unset "NODE_PGID[$1]"
}

cluster_stop() {
  local name
  for name in "${!NODE_PGID[@]}"; do kill -TERM -- "-${NODE_PGID[$name]}" 2>/dev/null || true; done
  for _ in $(seq 20); do
    local alive=0
    for name in "${!NODE_PGID[@]}"; do
      kill -0 -- "-${NODE_PGID[$name]}" 2>/dev/null && alive=1
    done
    [ $alive -eq 0 ] && break
    sleep 0.5
  done
  for name in "${!NODE_PGID[@]}"; do kill -KILL -- "-${NODE_PGID[$name]}" 2>/dev/null || true; done
  NODE_PGID=()
}
