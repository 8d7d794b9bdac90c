#!/usr/bin/env bash
# Makes a container engine ready to build and run the worker image (README "Container image"; the container test runs it):
#   1. podman, from Debian packages when it is missing (and the registry the fleet simulation pulls from: docker-registry,
#      htpasswd), and a containers.conf that this kind of machine needs (written to $CONTAINERS_CONF, default
#      .podman/containers.conf; export it for podman commands of your own);
#   2. the Dockerfile's base images (its NODE_IMAGE and DEBIAN_IMAGE) in local storage for each architecture in ARCHS
#      (Debian's names, comma- or space-separated: amd64, arm64; default this machine's): pulled when a registry
#      answers, otherwise built here as local stand-ins; each kept as localhost/wikireverse-base/<name>-<arch>, and
#      under the official name a manifest list of the architectures there are, so the Dockerfile builds unchanged for
#      any of them (`podman build --platform linux/<arch>`). Built once: an image already in local storage is kept
#      (`podman rmi` it to rebuild it);
#   3. for an architecture this machine's CPU does not run, qemu-user-static registered with binfmt_misc (Debian's
#      qemu-user-static and binfmt-support), so its images run here, emulated.
# Exit codes: 0 ready; 3 no container engine can run on this machine; 4 it cannot run an architecture of ARCHS (the
# message says why; the tests that need it skip); anything else: this script failed.
#   ARCHS=amd64,arm64 bash scripts/container-base.sh && export CONTAINERS_CONF=$PWD/.podman/containers.conf
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
HOST_ARCH="$(dpkg --print-architecture 2>/dev/null || case "$(uname -m)" in x86_64) echo amd64 ;; aarch64) echo arm64 ;; *) uname -m ;; esac)"
ARCHS="$(echo "${ARCHS:-$HOST_ARCH}" | tr ',' ' ')"
for arch in $ARCHS; do case "$arch" in amd64|arm64) ;; *) echo "ARCHS: $arch is not an architecture the image is built for (amd64, arm64)" >&2; exit 1 ;; esac; done
# The names each architecture has: the kernel's and qemu's (uname -m), Node's release packages'.
kernel_arch() { case "$1" in amd64) echo x86_64 ;; arm64) echo aarch64 ;; esac; }
node_arch() { case "$1" in amd64) echo x64 ;; arm64) echo arm64 ;; esac; }
# An image of one architecture, kept under its own name; the official name is the manifest list of them.
per_arch() { echo "localhost/wikireverse-base/${1##*/}-$2"; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# 3. Emulation of the architectures this CPU does not run.
for arch in $ARCHS; do
  [ "$arch" = "$HOST_ARCH" ] && continue
  q="qemu-$(kernel_arch "$arch")"
  if ! grep -qx enabled "/proc/sys/fs/binfmt_misc/$q" 2>/dev/null; then
    if ! command -v update-binfmts >/dev/null 2>&1 || [ ! -e "/usr/libexec/qemu-binfmt/$(kernel_arch "$arch")-binfmt-P" ]; then
      [ -z "$SUDO" ] || sudo -n true 2>/dev/null || { echo "cannot run $arch here: qemu-user-static is missing, and installing it needs root" >&2; exit 4; }
      echo "== installing qemu-user-static and binfmt-support (to run $arch images)"
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-user-static binfmt-support >/dev/null
    fi
    [ -e /proc/sys/fs/binfmt_misc/register ] || $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
    $SUDO update-binfmts --enable "$q" >/dev/null 2>&1 || true
    grep -qx enabled "/proc/sys/fs/binfmt_misc/$q" 2>/dev/null || { echo "cannot run $arch here: binfmt_misc has no $q (update-binfmts --enable $q failed)" >&2; exit 4; }
  fi
done

pulled() { timeout 300 podman pull -q --platform "linux/$2" "$1" >/dev/null 2>&1 && podman tag "$1" "$(per_arch "$1" "$2")" && podman untag "$1"; }
# An image under the official name from before there were several architectures: it becomes that architecture's.
for name in "$DEBIAN_IMAGE" "$NODE_IMAGE"; do
  if podman image exists "$name" && ! podman manifest exists "$name"; then
    arch="$(podman image inspect --format '{{.Architecture}}' "$name")"
    podman image exists "$(per_arch "$name" "$arch")" || podman tag "$name" "$(per_arch "$name" "$arch")"
    podman untag "$name"
  fi
done

# The official name: a manifest list of every architecture's image there is.
manifest() {
  if podman manifest exists "$1"; then podman manifest rm "$1" >/dev/null; fi
  podman manifest create "$1" >/dev/null
  for a in amd64 arm64; do
    if podman image exists "$(per_arch "$1" "$a")"; then podman manifest add "$1" "containers-storage:$(per_arch "$1" "$a")" >/dev/null; fi
  done
}

debian_stand_in() { # arch
  # What the official slim image is: Debian's minbase, without documentation, manuals and translations, apt keeping
  # no package caches (the official image's apt configuration).
  echo "== building a local stand-in for $DEBIAN_IMAGE ($1; no registry reachable): mmdebstrap minbase $SUITE"
  local start=$SECONDS
  # merged-usr: /usr merged by mmdebstrap itself (otherwise apt satisfies init-system-helpers with usrmerge, and perl).
  $SUDO mmdebstrap --quiet --architectures="$1" --variant=minbase --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
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
  podman import -q --arch "$1" --change 'CMD ["bash"]' --change "LABEL $STAND_IN_LABEL=scripts/container-base.sh" \
    --message "local stand-in for $DEBIAN_IMAGE ($1, mmdebstrap minbase)" "$work/rootfs.tar" "$(per_arch "$DEBIAN_IMAGE" "$1")" >/dev/null
  rm -f "$work/rootfs.tar"
  echo "== $DEBIAN_IMAGE stand-in ($1) built in $((SECONDS - start)) s"
}

node_stand_in() { # arch
  # What the official image adds to Debian slim: the Node release's files in /usr/local (OpenSSL headers of other
  # architectures removed), npm, and a `node` user with uid 1000. Node comes from the npm registry's node-linux-<arch>
  # package (the release's own files for that architecture), npm from the npm package.
  local na; na="$(node_arch "$1")"
  echo "== building a local stand-in for $NODE_IMAGE ($1; no registry reachable): node-linux-$na@$NODE_VERSION, npm@$NPM_VERSION"
  local start=$SECONDS ctx="$work/node-$1"
  mkdir -p "$ctx"
  (cd "$work" && npm pack -q "node-linux-$na@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null)
  tar xzf "$work/node-linux-$na-$NODE_VERSION.tgz" -C "$ctx" && mv "$ctx/package" "$ctx/node"
  find "$ctx/node/include/node/openssl/archs" -mindepth 1 -maxdepth 1 ! -name "linux-$(kernel_arch "$1")" -exec rm -rf {} +
  rm -f "$ctx/node/package.json" "$ctx/node/"*.md "$ctx/node/LICENSE"
  tar xzf "$work/npm-$NPM_VERSION.tgz" -C "$ctx" && mv "$ctx/package" "$ctx/npm"
  # The machine's own certificate authorities (a proxy that inspects TLS): without them `npm ci` in a build fails
  # with SELF_SIGNED_CERT_IN_CHAIN. Node reads them from NODE_EXTRA_CA_CERTS, on top of its own list.
  : > "$ctx/local-ca.pem"
  if [ -d /usr/local/share/ca-certificates ]; then
    find /usr/local/share/ca-certificates -type f -name '*.crt' -exec cat {} + > "$ctx/local-ca.pem"
  fi
  local extra_ca=""
  [ -s "$ctx/local-ca.pem" ] && extra_ca="ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/local-ca.pem"
  cat > "$ctx/Containerfile" <<CONTAINERFILE
FROM $(per_arch "$DEBIAN_IMAGE" "$1")
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
LABEL $STAND_IN_LABEL="scripts/container-base.sh: node-linux-$na@$NODE_VERSION, npm@$NPM_VERSION"
CMD ["node"]
CONTAINERFILE
  podman build -q --network=none --pull=never --platform "linux/$1" --format docker -t "$(per_arch "$NODE_IMAGE" "$1")" "$ctx" >/dev/null
  echo "== $NODE_IMAGE stand-in ($1) built in $((SECONDS - start)) s"
}

# 2 (continued). Each architecture's base images, then the official names.
for arch in $ARCHS; do
  if ! podman image exists "$(per_arch "$DEBIAN_IMAGE" "$arch")"; then
    if pulled "$DEBIAN_IMAGE" "$arch"; then echo "== pulled $DEBIAN_IMAGE ($arch)"; else debian_stand_in "$arch"; fi
  fi
  # Whether this engine can start a container of that architecture at all (namespaces, cgroups, the runtime, qemu).
  probe="$(podman run --rm --network=none "$(per_arch "$DEBIAN_IMAGE" "$arch")" uname -m 2>/dev/null)" || {
    why="$(podman run --rm --network=none "$(per_arch "$DEBIAN_IMAGE" "$arch")" true 2>&1 | tail -3)"
    [ "$arch" = "$HOST_ARCH" ] && unavailable "podman run failed: $why"
    echo "cannot run $arch here: podman run failed: $why" >&2; exit 4
  }
  [ "$probe" = "$(kernel_arch "$arch")" ] || { echo "cannot run $arch here: its image says uname -m $probe" >&2; exit 4; }
  if ! podman image exists "$(per_arch "$NODE_IMAGE" "$arch")"; then
    if pulled "$NODE_IMAGE" "$arch"; then echo "== pulled $NODE_IMAGE ($arch)"; else node_stand_in "$arch"; fi
  fi
done
manifest "$DEBIAN_IMAGE"
manifest "$NODE_IMAGE"
echo "== container engine ready: $(podman --version), base images $NODE_IMAGE, $DEBIAN_IMAGE for $ARCHS (CONTAINERS_CONF=$CONTAINERS_CONF)"
