#!/usr/bin/env bash
# zkMetrics.sh: prints the server's mntr answer (one "zk_<name><TAB><value>" line per metric, or "This
# ZooKeeper instance is not currently serving requests" outside quorum), as the k8szk image's script
# did, from 127.0.0.1:$ZK_CLIENT_PORT (2181 by default). Exits 1 if the server cannot be reached.

ZK_CLIENT_PORT=${ZK_CLIENT_PORT:-2181}
ZK_OK_TIMEOUT=${ZK_OK_TIMEOUT:-5}

# four_letter_word WORD: prints the server's whole answer; fails if it cannot connect or times out.
four_letter_word() {
    local reply="" status
    { exec 3<>"/dev/tcp/127.0.0.1/$ZK_CLIENT_PORT"; } 2>/dev/null || return 1
    if ! printf '%s' "$1" >&3; then
        exec 3<&-
        return 1
    fi
    IFS= read -r -d '' -t "$ZK_OK_TIMEOUT" reply <&3
    status=$?
    exec 3<&-
    (( status <= 128 )) || return 1
    printf '%s' "$reply"
}

if ! four_letter_word mntr; then
    echo "zkMetrics.sh: no answer to mntr on 127.0.0.1:$ZK_CLIENT_PORT" >&2
    exit 1
fi
