#!/usr/bin/env bash
# zkServer.sh for zk-ts: the same entry point as Apache ZooKeeper's script, so tools, tests and the
# k8szk-style image start either server the same way:
#   zkServer.sh [--config <conf dir>] {start|start-foreground|stop|restart|status|print-cmd} [zoo.cfg]
# start-foreground runs the server in this process (exec); start runs it in the background with a pid
# file (dataDir/zookeeper_server.pid, or $ZOOPIDFILE) and its output in $ZOO_LOG_DIR.
#
# The config file is the one given (a bare file name is looked up in the conf dir, as zkServer.sh of
# ZooKeeper does), else $ZOOCFGDIR/${ZOOCFG:-zoo.cfg}. Without ZOOCFGDIR the conf dir is found as
# ZooKeeper's zkEnv.sh finds it: <dir of this script>/../conf if it exists, else
# <dir of this script>/../etc/zookeeper (so /usr/bin/zkServer.sh in the image reads
# /usr/etc/zookeeper), else the installation's conf/.
# $ZOOCFGDIR/zookeeper-env.sh and $ZOOCFGDIR/java.env are sourced when present, and what they set is
# exported to the server: zkGenConfig.sh's java.env sets JVMFLAGS (-Xmx), NODE_OPTIONS (the heap
# limit) and ZOO_LOG4J_PROP (the log level). -D settings go in SERVER_JVMFLAGS or JVMFLAGS.
set -euo pipefail
here="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
root="$(dirname "$here")"
invoked="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
entry="$root/dist/src/cli/zk-server.js"
[ -f "$entry" ] || { echo "zk-ts is not built: run 'npm run build' in $root" >&2; exit 1; }

if [ "${1:-}" = "--config" ]; then
    [ $# -ge 2 ] || { echo "--config needs a directory" >&2; exit 1; }
    ZOOCFGDIR="$2"
    shift 2
fi
if [ -z "${ZOOCFGDIR:-}" ]; then
    if [ -d "$invoked/../conf" ]; then
        ZOOCFGDIR="$invoked/../conf"
    elif [ -d "$invoked/../etc/zookeeper" ]; then
        ZOOCFGDIR="$invoked/../etc/zookeeper"
    else
        ZOOCFGDIR="$root/conf"
    fi
fi
set -a
# shellcheck source=/dev/null
if [ -f "$ZOOCFGDIR/zookeeper-env.sh" ]; then . "$ZOOCFGDIR/zookeeper-env.sh"; fi
# shellcheck source=/dev/null
if [ -f "$ZOOCFGDIR/java.env" ]; then . "$ZOOCFGDIR/java.env"; fi
set +a
export ZOOCFGDIR

command="${1:-}"
shift || true
cfg="${1:-}"
if [ -z "$cfg" ]; then
    cfg="$ZOOCFGDIR/${ZOOCFG:-zoo.cfg}"
elif [[ $cfg != */* ]]; then
    cfg="$ZOOCFGDIR/$cfg"
fi

# cfg_value KEY: the last KEY=value of zoo.cfg, blanks around it removed.
cfg_value() {
    sed -n "s/^[[:space:]]*$1[[:space:]]*[=:][[:space:]]*//p" "$cfg" 2>/dev/null | tail -n 1 | sed 's/[[:space:]]*$//'
}

pid_file() {
    if [ -n "${ZOOPIDFILE:-}" ]; then
        printf '%s' "$ZOOPIDFILE"
        return
    fi
    local data_dir
    data_dir="$(cfg_value dataDir)"
    [ -n "$data_dir" ] || { echo "dataDir is not set in $cfg" >&2; exit 1; }
    mkdir -p "$data_dir"
    printf '%s' "$data_dir/zookeeper_server.pid"
}

running_pid() {
    local file="$1" pid
    [ -f "$file" ] || return 1
    pid="$(cat "$file" 2>/dev/null || true)"
    [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && printf '%s' "$pid"
}

do_start() {
    local file out pid
    file="$(pid_file)"
    if pid="$(running_pid "$file")"; then
        echo "zookeeper already running as process $pid."
        exit 1
    fi
    ZOO_LOG_DIR="${ZOO_LOG_DIR:-$root/logs}"
    mkdir -p "$ZOO_LOG_DIR"
    out="$ZOO_LOG_DIR/zookeeper-${USER:-$(id -un)}-server-$(hostname).out"
    echo -n "Starting zookeeper ... "
    nohup node "$entry" "$cfg" > "$out" 2>&1 < /dev/null &
    pid=$!
    echo "$pid" > "$file"
    sleep 1
    if kill -0 "$pid" 2>/dev/null; then
        echo STARTED
    else
        echo FAILED TO START
        rm -f "$file"
        tail -n 20 "$out" >&2
        exit 1
    fi
}

do_stop() {
    local file pid waited=0 limit="${ZK_STOP_TIMEOUT:-30}"
    file="$(pid_file)"
    echo -n "Stopping zookeeper ... "
    if ! pid="$(running_pid "$file")"; then
        rm -f "$file"
        echo "no zookeeper to stop (could not find file $file or its process)"
        return 0
    fi
    kill -TERM "$pid"
    while kill -0 "$pid" 2>/dev/null; do
        if (( waited >= limit * 10 )); then
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    rm -f "$file"
    echo STOPPED
}

do_status() {
    local port address host reply
    port="$(cfg_value clientPort)"
    address="$(cfg_value clientPortAddress)"
    if [ -z "$port" ]; then
        echo "Unable to find client port in $cfg" >&2
        exit 1
    fi
    host="${address:-localhost}"
    case "$host" in 0.0.0.0|::|'[::]') host=localhost ;; esac
    echo "Client port found: $port. Client address: $host. Client SSL: false." >&2
    [ "$host" = localhost ] && host=127.0.0.1
    if { exec 3<>"/dev/tcp/$host/$port"; } 2>/dev/null && printf 'srvr' >&3; then
        IFS= read -r -d '' -t 5 reply <&3 || true
        exec 3<&-
    fi
    if [[ ${reply:-} =~ (^|$'\n')Mode:\ ([^$'\n']*) ]]; then
        echo "Mode: ${BASH_REMATCH[2]}"
    else
        echo "Error contacting service. It is probably not running." >&2
        exit 1
    fi
}

if [ "$command" != "print-cmd" ]; then
    echo "Using config: $cfg" >&2
fi
# The server names itself after this (see zk-server.ts): `pkill java`, as the Kubernetes tutorial
# runs it, finds it as it found the JVM. ZK_PROCESS_NAME= (empty) keeps node's own name.
export ZK_PROCESS_NAME="${ZK_PROCESS_NAME-java}"
case "$command" in
    start-foreground)
        exec node "$entry" "$cfg"
        ;;
    start)
        do_start
        ;;
    stop)
        do_stop
        ;;
    restart)
        do_stop
        sleep 1
        do_start
        ;;
    status)
        do_status
        ;;
    print-cmd)
        echo "node \"$entry\" \"$cfg\""
        ;;
    *)
        echo "Usage: $0 [--config <conf-dir>] {start|start-foreground|stop|restart|status|print-cmd} [zoo.cfg]" >&2
        exit 1
        ;;
esac
