#!/usr/bin/env bash
# Every install step of the zk-ts image, in one script: docker/Dockerfile runs it as root in the final
# stage, and the tests run it into a directory (ZK_INSTALL_PREFIX) to check the layout it makes and to
# boot that layout as a pod, so the image and what the tests check cannot drift apart.
#
# The layout is the k8szk image's, with our server in place of ZooKeeper's jars:
#   /opt/zk-ts-<version>/{package.json,dist/src,node_modules,bin,conf}  and  /opt/zookeeper -> it
#   /usr/bin/<each file of bin>   -> /opt/zookeeper/bin/<file>   (zkServer.sh, zkGenConfig.sh, zkOk.sh, ...)
#   /usr/etc/zookeeper            -> /opt/zookeeper/conf         (where zkGenConfig.sh writes zoo.cfg)
#   user and group zookeeper, uid and gid 1000 (the manifests' runAsUser and fsGroup), owning what the
#   server and the scripts write: conf/, bin/ (so that the tutorial's `rm zkOk.sh` works),
#   /var/lib/zookeeper{,/data,/log}, /var/log/zookeeper and /home/zookeeper.
#   The server's code (dist, node_modules) stays root's: the server cannot rewrite itself.
#
# Environment:
#   ZK_INSTALL_PREFIX        install under this directory instead of / (no packages are installed
#                            then); it must hold etc/passwd and etc/group, as a base image does
#   ZK_INSTALL_SOURCE        the built tree: package.json, dist/src, bin (default: this repository)
#   ZK_INSTALL_NODE_MODULES  production node_modules (default: $ZK_INSTALL_SOURCE/node_modules)
#   ZK_INSTALL_PACKAGES      set to 0 to skip apt-get even without a prefix

set -euo pipefail

PREFIX=${ZK_INSTALL_PREFIX:-}
PREFIX=${PREFIX%/}
SOURCE=${ZK_INSTALL_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
NODE_MODULES=${ZK_INSTALL_NODE_MODULES:-$SOURCE/node_modules}
PACKAGES=(bash netcat-openbsd procps hostname)
ZK_USER=zookeeper
ZK_UID=1000
ZK_GID=1000
# The image's ENV (docker/Dockerfile) names the same directories.
DIRS=(/var/lib/zookeeper /var/lib/zookeeper/data /var/lib/zookeeper/log /var/log/zookeeper)

say() { echo "install.sh: $*"; }
die() { echo "install.sh: $*" >&2; exit 1; }

[ -f "$SOURCE/package.json" ] || die "$SOURCE/package.json is missing (ZK_INSTALL_SOURCE)"
[ -f "$SOURCE/dist/src/cli/zk-server.js" ] || die "$SOURCE/dist/src/cli/zk-server.js is missing: run npm run build first"
[ -d "$SOURCE/bin" ] || die "$SOURCE/bin is missing"
[ -d "$NODE_MODULES" ] || die "$NODE_MODULES is missing (ZK_INSTALL_NODE_MODULES)"
if [ -n "$PREFIX" ]; then
    { [ -f "$PREFIX/etc/passwd" ] && [ -f "$PREFIX/etc/group" ]; } || die "$PREFIX/etc/passwd and $PREFIX/etc/group must exist (copy a base image's)"
fi
VERSION=$(node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version ?? ""))' "$SOURCE/package.json")
[ -n "$VERSION" ] || die "no version in $SOURCE/package.json"
HOME_DIR=/opt/zk-ts-$VERSION

# 1. Packages: what the scripts and the tutorial's kubectl exec commands use.
if [ -z "$PREFIX" ] && [ "${ZK_INSTALL_PACKAGES:-1}" != 0 ]; then
    say "installing ${PACKAGES[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
    rm -rf /var/lib/apt/lists/*
else
    say "not installing packages (${PACKAGES[*]}): prefix install"
fi

# 2. User and group zookeeper with uid and gid 1000. The node images already have a user "node" with
# those ids: it is renamed, as there can be only one name for uid 1000 in the pod's `ps` and `ls -l`.
prefix_opt=()
[ -z "$PREFIX" ] || prefix_opt=(--prefix "$PREFIX")
name_of_id() { awk -F: -v id="$2" '$3 == id { print $1; exit }' "$PREFIX/etc/$1"; }
id_of_name() { awk -F: -v name="$2" '$1 == name { print $3; exit }' "$PREFIX/etc/$1"; }

group=$(name_of_id group "$ZK_GID")
if [ -z "$group" ]; then
    [ -z "$(id_of_name group "$ZK_USER")" ] || die "group $ZK_USER exists with a gid other than $ZK_GID"
    groupadd "${prefix_opt[@]}" --gid "$ZK_GID" "$ZK_USER"
elif [ "$group" != "$ZK_USER" ]; then
    [ -z "$(id_of_name group "$ZK_USER")" ] || die "group $ZK_USER exists with a gid other than $ZK_GID"
    say "renaming group $group (gid $ZK_GID) to $ZK_USER"
    groupmod "${prefix_opt[@]}" --new-name "$ZK_USER" "$group"
fi
user=$(name_of_id passwd "$ZK_UID")
if [ -z "$user" ]; then
    [ -z "$(id_of_name passwd "$ZK_USER")" ] || die "user $ZK_USER exists with a uid other than $ZK_UID"
    useradd "${prefix_opt[@]}" --uid "$ZK_UID" --gid "$ZK_GID" --no-create-home --home-dir /home/$ZK_USER --shell /bin/bash "$ZK_USER"
else
    if [ "$user" != "$ZK_USER" ]; then
        [ -z "$(id_of_name passwd "$ZK_USER")" ] || die "user $ZK_USER exists with a uid other than $ZK_UID"
        say "renaming user $user (uid $ZK_UID) to $ZK_USER"
        old_home=$(awk -F: -v name="$user" '$1 == name { print $6; exit }' "$PREFIX/etc/passwd")
        usermod "${prefix_opt[@]}" --login "$ZK_USER" "$user"
        if [ -n "$old_home" ] && [ "$old_home" != "/home/$ZK_USER" ] && [ -d "$PREFIX$old_home" ] && [ ! -e "$PREFIX/home/$ZK_USER" ]; then
            mv "$PREFIX$old_home" "$PREFIX/home/$ZK_USER"
        fi
    fi
    usermod "${prefix_opt[@]}" --gid "$ZK_GID" --home /home/$ZK_USER --shell /bin/bash "$ZK_USER"
fi
[ "$(id_of_name passwd "$ZK_USER")" = "$ZK_UID" ] || die "user $ZK_USER does not have uid $ZK_UID"
[ "$(id_of_name group "$ZK_USER")" = "$ZK_GID" ] || die "group $ZK_USER does not have gid $ZK_GID"
[ "$(awk -F: -v name="$ZK_USER" '$1 == name { print $4; exit }' "$PREFIX/etc/passwd")" = "$ZK_GID" ] || die "user $ZK_USER's primary group is not $ZK_GID"

# 3. Files.
say "installing zk-ts $VERSION into $PREFIX$HOME_DIR"
dest="$PREFIX$HOME_DIR"
rm -rf "$dest"
mkdir -p "$dest/dist" "$dest/bin" "$dest/conf"
cp "$SOURCE/package.json" "$dest/package.json"
cp -R "$SOURCE/dist/src" "$dest/dist/src"
find "$dest/dist" -name '*.map' -delete
cp -R "$NODE_MODULES" "$dest/node_modules"
for script in "$SOURCE"/bin/*; do
    [ -f "$script" ] || continue
    cp "$script" "$dest/bin/"
    chmod 755 "$dest/bin/$(basename "$script")"
done

# 4. Links, as k8szk made them.
mkdir -p "$PREFIX/opt" "$PREFIX/usr/bin" "$PREFIX/usr/etc"
ln -sfn "$HOME_DIR" "$PREFIX/opt/zookeeper"
for script in "$dest"/bin/*; do
    ln -sfn "/opt/zookeeper/bin/$(basename "$script")" "$PREFIX/usr/bin/$(basename "$script")"
done
ln -sfn /opt/zookeeper/conf "$PREFIX/usr/etc/zookeeper"

# 5. Directories the server and zkGenConfig.sh write, and ownership.
for dir in "${DIRS[@]}" /home/$ZK_USER; do
    mkdir -p "$PREFIX$dir"
done
chmod 755 "$dest" "$dest/bin" "$dest/conf"
if [ "$(id -u)" = 0 ]; then
    chown -R 0:0 "$dest"
    chown -R "$ZK_UID:$ZK_GID" "$dest/bin" "$dest/conf" "$PREFIX/home/$ZK_USER"
    for dir in "${DIRS[@]}"; do
        chown "$ZK_UID:$ZK_GID" "$PREFIX$dir"
    done
else
    say "not root: files keep their owner (uid $(id -u)) instead of zookeeper"
fi
say "done"
