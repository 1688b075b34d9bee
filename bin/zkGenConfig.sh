#!/usr/bin/env bash
# zkGenConfig.sh for zk-ts: writes zoo.cfg, log4j.properties, java.env and myid from the environment,
# as the k8szk image's script did (gcr.io/google_samples/k8szk:v1, v2 and v3), so that the classic
# ZooKeeper StatefulSet runs unchanged:  sh -c "zkGenConfig.sh && zkServer.sh start-foreground"
#
# Membership, in either of k8szk's two forms:
#   ZK_ENSEMBLE="zk-0;zk-1;zk-2"  (v1)  myid = 1-based position of `hostname -s` in the list
#   ZK_REPLICAS=3                  (v2, v3)  myid = ordinal + 1, from `hostname -s` = <name>-<ordinal>
# server.N lines use this pod's own domain (`hostname -d`) and appear only when there is more than one
# member; with one member the server runs standalone. ZK_ENSEMBLE wins when both are set.
#
# Every other ZK_* variable and default is k8szk's, and the files are written to the same places with
# the same text. Where k8szk was broken this script does better; docs/kubernetes.md lists each change:
# the lines appended to zoo.cfg and java.env, a refusal to start when an existing myid disagrees with
# the computed one, heap strings mapped to Node's heap limit, and checks of the values given.

set -u -o pipefail

# Defaults exactly as k8szk's script had them (the session timeouts keep their leading space), except
# ZK_LOG_DIR, whose default lacked the leading slash (the image's ENV hid that).
ZK_USER=${ZK_USER:-"zookeeper"}
ZK_LOG_LEVEL=${ZK_LOG_LEVEL:-"INFO"}
ZK_DATA_DIR=${ZK_DATA_DIR:-"/var/lib/zookeeper/data"}
ZK_DATA_LOG_DIR=${ZK_DATA_LOG_DIR:-"/var/lib/zookeeper/log"}
ZK_LOG_DIR=${ZK_LOG_DIR:-"/var/log/zookeeper"}
ZK_CONF_DIR=${ZK_CONF_DIR:-"/opt/zookeeper/conf"}
ZK_CLIENT_PORT=${ZK_CLIENT_PORT:-2181}
ZK_SERVER_PORT=${ZK_SERVER_PORT:-2888}
ZK_ELECTION_PORT=${ZK_ELECTION_PORT:-3888}
ZK_TICK_TIME=${ZK_TICK_TIME:-2000}
ZK_INIT_LIMIT=${ZK_INIT_LIMIT:-10}
ZK_SYNC_LIMIT=${ZK_SYNC_LIMIT:-5}
ZK_HEAP_SIZE=${ZK_HEAP_SIZE:-2G}
ZK_MAX_CLIENT_CNXNS=${ZK_MAX_CLIENT_CNXNS:-60}
ZK_SNAP_RETAIN_COUNT=${ZK_SNAP_RETAIN_COUNT:-3}
ZK_PURGE_INTERVAL=${ZK_PURGE_INTERVAL:-0}
# Not in k8szk: the four-letter words zoo.cfg enables. ZooKeeper 3.4.9 answered all of them; 3.5 and
# later answer only srvr unless told otherwise, which leaves zkOk.sh's ruok unanswered. This is 3.4.10's
# default set (all but wchc and wchp). Set it to an empty string to write no whitelist at all.
ZK_4LW_COMMANDS_WHITELIST=${ZK_4LW_COMMANDS_WHITELIST-"conf,cons,crst,dump,envi,gtmk,stmk,ruok,srst,srvr,stat,wchs,mntr,isro"}

ID_FILE="$ZK_DATA_DIR/myid"
ZK_CONFIG_FILE="$ZK_CONF_DIR/zoo.cfg"
LOGGER_PROPS_FILE="$ZK_CONF_DIR/log4j.properties"
JAVA_ENV_FILE="$ZK_CONF_DIR/java.env"
HOST=$(hostname -s)
DOMAIN=$(hostname -d)

die() {
    echo "$*" >&2
    exit 1
}

warn() {
    echo "WARNING: $*" >&2
}

trim() {
    local s="$1"
    s="${s#"${s%%[![:space:]]*}"}"
    printf '%s' "${s%"${s##*[![:space:]]}"}"
}

# require_int NAME MIN [MAX]: the variable holds a whole number (surrounding blanks allowed, as
# ZooKeeper trims them) in [MIN, MAX]. k8szk wrote any text into zoo.cfg and left ZooKeeper to fail.
require_int() {
    local name="$1" min="$2" max="${3:-}" value
    value=$(trim "${!name}")
    if ! [[ $value =~ ^-?[0-9]{1,18}$ ]]; then
        die "$name='${!name}' is not a whole number"
    fi
    value=$((10#${value#-} * ${value//[0-9]/}1))
    if (( value < min )) || { [ -n "$max" ] && (( value > max )); }; then
        die "$name=${!name} is out of range: it must be between $min and ${max:-$((1 << 62))}"
    fi
}

require_int ZK_CLIENT_PORT 1 65535
require_int ZK_SERVER_PORT 1 65535
require_int ZK_ELECTION_PORT 1 65535
require_int ZK_TICK_TIME 1
require_int ZK_INIT_LIMIT 0
require_int ZK_SYNC_LIMIT 0
require_int ZK_MAX_CLIENT_CNXNS -2147483648 2147483647
require_int ZK_SNAP_RETAIN_COUNT 0
require_int ZK_PURGE_INTERVAL 0
TICK=$(trim "$ZK_TICK_TIME")
TICK=$((10#$TICK))
ZK_MIN_SESSION_TIMEOUT=${ZK_MIN_SESSION_TIMEOUT:- $((TICK*2))}
ZK_MAX_SESSION_TIMEOUT=${ZK_MAX_SESSION_TIMEOUT:- $((TICK*20))}
require_int ZK_MIN_SESSION_TIMEOUT -1
require_int ZK_MAX_SESSION_TIMEOUT -1

# parse_heap VALUE: sets HEAP_MIB (Node's --max-old-space-size) and JVM_HEAP (for -Xmx/-Xms). Accepts
# what the JVM accepts (2G, 512m, 1048576k, a byte count) verbatim, and also Kubernetes quantities (2Gi)
# and the bare whole GiB that k8szk's README documented ("2"), which are written out as <MiB>m.
parse_heap() {
    local v n unit
    v=$(trim "$1")
    if [[ $v =~ ^([0-9]{1,12})([kKmMgGtT])$ ]]; then
        n=$((10#${BASH_REMATCH[1]}))
        unit=${BASH_REMATCH[2]}
        JVM_HEAP=$v
    elif [[ $v =~ ^([0-9]{1,12})([KMGT])i$ ]]; then
        n=$((10#${BASH_REMATCH[1]}))
        unit=${BASH_REMATCH[2]}
        JVM_HEAP=
    elif [[ $v =~ ^[0-9]{1,18}$ ]]; then
        n=$((10#$v))
        if (( n >= 1048576 )); then
            unit=b
            JVM_HEAP=$v
        else
            warn "ZK_HEAP_SIZE=$v has no unit: read as $v GiB, as k8szk's README described it (the JVM would have read bytes and refused to start); write ${v}G, or 512M for MiB"
            unit=g
            JVM_HEAP=
        fi
    else
        die "ZK_HEAP_SIZE='$1' is not a heap size: write it as the JVM's -Xmx takes it, e.g. 2G, 1536m or 512M"
    fi
    case "$unit" in
        b) HEAP_MIB=$((n / 1048576)) ;;
        k|K) HEAP_MIB=$((n / 1024)) ;;
        m|M) HEAP_MIB=$n ;;
        g|G) HEAP_MIB=$((n * 1024)) ;;
        t|T) HEAP_MIB=$((n * 1048576)) ;;
    esac
    if (( HEAP_MIB < 1 )); then
        die "ZK_HEAP_SIZE=$1 is less than 1 MiB"
    fi
    if (( HEAP_MIB < 64 )); then
        warn "ZK_HEAP_SIZE=$1 gives the server only $HEAP_MIB MiB of heap"
    fi
    [ -n "$JVM_HEAP" ] || JVM_HEAP="${HEAP_MIB}m"
}

# The log4j level for zookeeper.root.logger (our server reads it from ZOO_LOG4J_PROP).
log4j_level() {
    local level
    level=$(trim "$1")
    level=${level^^}
    case "$level" in
        ALL|TRACE|DEBUG|INFO|WARN|ERROR|FATAL|OFF) printf '%s' "$level" ;;
        *)
            warn "ZK_LOG_LEVEL=$1 is not a log4j level (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, OFF): using INFO"
            printf 'INFO'
            ;;
    esac
}

SERVER_LINES=()

function validate_env() {
    echo "Validating environment"
    local ensemble server id
    ensemble=$(trim "${ZK_ENSEMBLE:-}")
    if [ -n "$ensemble" ]; then
        # v1: the list is split on ';' and, as k8szk's unquoted expansion did, on blanks.
        GENERATION=1
        MY_ID=""
        id=1
        set -f
        # shellcheck disable=SC2046
        set -- $(printf '%s' "$ensemble" | tr ';' '\n')
        set +f
        for server in "$@"; do
            SERVER_LINES+=("server.$id=$server.$DOMAIN:$ZK_SERVER_PORT:$ZK_ELECTION_PORT")
            if [ "$server" = "$HOST" ]; then
                MY_ID=$id
            fi
            id=$((id+1))
        done
        NUM_SERVERS=$((id-1))
        echo "ZK_ENSEMBLE=$ZK_ENSEMBLE"
        if [ -z "$MY_ID" ]; then
            die "Could not find configured hostname $HOST in $ZK_ENSEMBLE"
        fi
        if [ -n "$(trim "${ZK_REPLICAS:-}")" ] && [ "$(trim "$ZK_REPLICAS")" != "$NUM_SERVERS" ]; then
            warn "ZK_REPLICAS=$ZK_REPLICAS is ignored: ZK_ENSEMBLE lists $NUM_SERVERS members"
        fi
    else
        if [ -z "$(trim "${ZK_REPLICAS:-}")" ]; then
            die "ZK_REPLICAS is a mandatory environment variable (or ZK_ENSEMBLE, the host list of k8szk:v1)"
        fi
        require_int ZK_REPLICAS 1
        GENERATION=2
        NUM_SERVERS=$((10#$(trim "$ZK_REPLICAS")))
        if [[ $HOST =~ (.*)-([0-9]+)$ ]]; then
            NAME=${BASH_REMATCH[1]}
            ORD=${BASH_REMATCH[2]}
        else
            die "Failed to extract ordinal from hostname $HOST"
        fi
        MY_ID=$((10#$ORD+1))
        for (( id=1; id<=NUM_SERVERS; id++ )); do
            SERVER_LINES+=("server.$id=$NAME-$((id-1)).$DOMAIN:$ZK_SERVER_PORT:$ZK_ELECTION_PORT")
        done
        echo "ZK_REPLICAS=$ZK_REPLICAS"
        if (( NUM_SERVERS > 1 && MY_ID > NUM_SERVERS )); then
            # ZooKeeper 3.4 stopped here with "My id N not in the peer list"; say it before starting.
            die "My id $MY_ID not in the peer list: $HOST is member $MY_ID but ZK_REPLICAS=$NUM_SERVERS lists server.1 to server.$NUM_SERVERS. A static ensemble cannot grow by scaling the StatefulSet; change ZK_REPLICAS for every member instead."
        fi
    fi
    if (( NUM_SERVERS <= 1 )); then
        SERVER_LINES=()
    elif [ -z "$DOMAIN" ]; then
        warn "hostname -d is empty (is the pod's subdomain set?): the server names end with a bare dot"
    fi

    # A volume that already has a myid keeps it (k8szk never rewrote it); a different id means this
    # volume belongs to another member, and starting would mix up two members' data.
    if [ -e "$ID_FILE" ]; then
        local existing
        existing=$(head -n 1 "$ID_FILE" 2>/dev/null) || die "cannot read $ID_FILE"
        existing=$(trim "$existing")
        if ! [[ $existing =~ ^[0-9]{1,18}$ ]] || (( 10#$existing != MY_ID )); then
            die "Refusing to start: $ID_FILE holds server id '$existing', but this pod ($HOST) is server $MY_ID. The volume probably belongs to another member (ids swapped between volumes). If it really is this member's volume, remove $ID_FILE (it is then written again) or write $MY_ID into it."
        fi
    fi

    parse_heap "$ZK_HEAP_SIZE"
    LOG4J_LEVEL=$(log4j_level "$ZK_LOG_LEVEL")

    local sync init sync_ms
    sync=$((10#$(trim "$ZK_SYNC_LIMIT")))
    init=$((10#$(trim "$ZK_INIT_LIMIT")))
    sync_ms=$((sync * TICK))
    if (( sync_ms > 60000 )); then
        local why=""
        if [ "$(trim "$ZK_SYNC_LIMIT")" = "$(trim "$ZK_TICK_TIME")" ]; then
            why=" ZK_SYNC_LIMIT equals ZK_TICK_TIME: the classic manifest reads ZK_SYNC_LIMIT from the ConfigMap key 'tick'; give it its own key (as k8s/zookeeper.yaml does)."
        fi
        warn "syncLimit=$sync ticks of $TICK ms is $((sync_ms / 1000)) s: a member that stops answering is noticed only after that long (ZooKeeper's example is 5 ticks).$why"
    fi
    if (( NUM_SERVERS > 1 && (sync == 0 || init == 0) )); then
        warn "an ensemble needs initLimit and syncLimit above 0 (ZK_INIT_LIMIT=$ZK_INIT_LIMIT, ZK_SYNC_LIMIT=$ZK_SYNC_LIMIT)"
    fi
    if [ -z "${ZOOCFGDIR:-}" ] && [ -d /usr/etc/zookeeper ] && [ "$(readlink -f "$ZK_CONF_DIR")" != "$(readlink -f /usr/etc/zookeeper)" ]; then
        warn "zoo.cfg goes to $ZK_CONF_DIR, but zkServer.sh reads /usr/etc/zookeeper: set ZOOCFGDIR=$ZK_CONF_DIR as well"
    fi

    echo "MY_ID=$MY_ID"
    echo "ZK_LOG_LEVEL=$ZK_LOG_LEVEL"
    echo "ZK_DATA_DIR=$ZK_DATA_DIR"
    echo "ZK_DATA_LOG_DIR=$ZK_DATA_LOG_DIR"
    echo "ZK_LOG_DIR=$ZK_LOG_DIR"
    echo "ZK_CLIENT_PORT=$ZK_CLIENT_PORT"
    echo "ZK_SERVER_PORT=$ZK_SERVER_PORT"
    echo "ZK_ELECTION_PORT=$ZK_ELECTION_PORT"
    echo "ZK_TICK_TIME=$ZK_TICK_TIME"
    echo "ZK_INIT_LIMIT=$ZK_INIT_LIMIT"
    echo "ZK_SYNC_LIMIT=$ZK_SYNC_LIMIT"
    echo "ZK_MAX_CLIENT_CNXNS=$ZK_MAX_CLIENT_CNXNS"
    echo "ZK_MIN_SESSION_TIMEOUT=$ZK_MIN_SESSION_TIMEOUT"
    echo "ZK_MAX_SESSION_TIMEOUT=$ZK_MAX_SESSION_TIMEOUT"
    echo "ZK_HEAP_SIZE=$ZK_HEAP_SIZE"
    echo "ZK_SNAP_RETAIN_COUNT=$ZK_SNAP_RETAIN_COUNT"
    echo "ZK_PURGE_INTERVAL=$ZK_PURGE_INTERVAL"
    echo "ENSEMBLE"
    if (( ${#SERVER_LINES[@]} > 0 )); then
        printf '%s\n' "${SERVER_LINES[@]}"
    else
        echo "standalone (one member, no server.N lines)"
    fi
    echo "Environment validation successful"
}

# write_file PATH: stdin into PATH through a temporary file in the same directory, so that a reader
# never sees half a file.
write_file() {
    local path="$1" tmp
    tmp=$(mktemp "$path.XXXXXX") || die "cannot write in $(dirname "$path")"
    if ! cat > "$tmp" || ! chmod 644 "$tmp" || ! mv -f "$tmp" "$path"; then
        rm -f "$tmp"
        die "cannot write $path"
    fi
}

function create_config() {
    echo "Creating ZooKeeper configuration"
    mkdir -p "$ZK_CONF_DIR" || die "cannot create $ZK_CONF_DIR"
    {
        if (( GENERATION >= 2 )); then
            echo "#This file was autogenerated by k8szk DO NOT EDIT"
        fi
        echo "clientPort=$ZK_CLIENT_PORT"
        echo "dataDir=$ZK_DATA_DIR"
        echo "dataLogDir=$ZK_DATA_LOG_DIR"
        echo "tickTime=$ZK_TICK_TIME"
        echo "initLimit=$ZK_INIT_LIMIT"
        echo "syncLimit=$ZK_SYNC_LIMIT"
        echo "maxClientCnxns=$ZK_MAX_CLIENT_CNXNS"
        echo "minSessionTimeout=$ZK_MIN_SESSION_TIMEOUT"
        echo "maxSessionTimeout=$ZK_MAX_SESSION_TIMEOUT"
        echo "autopurge.snapRetainCount=$ZK_SNAP_RETAIN_COUNT"
        # k8szk's spelling, kept so the file reads as before; ZooKeeper ignores this key.
        echo "autopurge.purgeInteval=$ZK_PURGE_INTERVAL"
        if (( ${#SERVER_LINES[@]} > 0 )); then
            printf '%s\n' "${SERVER_LINES[@]}"
        fi
        echo "# zk-ts: added to k8szk's settings (see docs/kubernetes.md)"
        echo "autopurge.purgeInterval=$ZK_PURGE_INTERVAL"
        if [ -n "$ZK_4LW_COMMANDS_WHITELIST" ]; then
            echo "4lw.commands.whitelist=$ZK_4LW_COMMANDS_WHITELIST"
        fi
    } | write_file "$ZK_CONFIG_FILE"
    echo "Wrote ZooKeeper configuration file to $ZK_CONFIG_FILE"
}

function create_log_props() {
    echo "Creating ZooKeeper log4j configuration"
    # Read by Java ZooKeeper only; zk-ts logs JSON lines on stdout at the level of ZOO_LOG4J_PROP.
    {
        echo "zookeeper.root.logger=CONSOLE"
        echo "zookeeper.console.threshold=$ZK_LOG_LEVEL"
        echo "log4j.rootLogger=\${zookeeper.root.logger}"
        echo "log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender"
        echo "log4j.appender.CONSOLE.Threshold=\${zookeeper.console.threshold}"
        echo "log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout"
        echo "log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n"
    } | write_file "$LOGGER_PROPS_FILE"
    echo "Wrote log4j configuration to $LOGGER_PROPS_FILE"
}

# make_dir DIR: k8szk's rule: a missing directory is created and given to ZK_USER; one that exists is
# left as it is.
make_dir() {
    local dir="$1"
    if [ ! -d "$dir" ]; then
        mkdir -p "$dir" || die "cannot create $dir"
        chown -R "$ZK_USER:$ZK_USER" "$dir" 2>/dev/null || warn "could not give $dir to $ZK_USER"
    fi
}

function create_data_dirs() {
    echo "Creating ZooKeeper data directories and setting permissions"
    make_dir "$ZK_DATA_DIR"
    make_dir "$ZK_DATA_LOG_DIR"
    make_dir "$ZK_LOG_DIR"
    if [ ! -f "$ID_FILE" ]; then
        echo "$MY_ID" > "$ID_FILE" || die "cannot write $ID_FILE"
    fi
    echo "Created ZooKeeper data directories and set permissions in $ZK_DATA_DIR"
}

function create_java_env() {
    echo "Creating JVM configuration file"
    {
        echo "ZOO_LOG_DIR=$ZK_LOG_DIR"
        echo "JVMFLAGS=\"-Xmx$JVM_HEAP -Xms$JVM_HEAP\""
        echo "# zk-ts: the same settings for Node.js (see docs/kubernetes.md)"
        echo "export NODE_OPTIONS=\"--max-old-space-size=$HEAP_MIB\${NODE_OPTIONS:+ \$NODE_OPTIONS}\""
        echo "export ZOO_LOG4J_PROP=\"$LOG4J_LEVEL,CONSOLE\""
    } | write_file "$JAVA_ENV_FILE"
    echo "Wrote JVM configuration to $JAVA_ENV_FILE"
}

validate_env && create_config && create_log_props && create_data_dirs && create_java_env
