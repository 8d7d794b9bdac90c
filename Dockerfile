# WikiReverse worker image (README "Container image"): `podman build --format docker -t wikireverse .` (or docker build), then
#   docker run --rm -e WIKIREVERSE_REDIS_URL=redis://host:6379 -p 9464:9464 wikireverse --run <runId>
# (arguments after the image go to `wikireverse worker`). test/integration/container.test.ts builds it and runs workers from it.
# Node is pinned to an exact release (scripts/node.sh's NODE_PINNED); the runtime is Debian slim with that release's
# node binary, tini as PID 1, the packages the worker loads and dist/: no npm, no headers, no type declarations.
#
# Built for linux/amd64 and linux/arm64 (Graviton) alike: `--platform linux/arm64` (README "Container image" for the
# manifest list of both). Only the runtime stage and the target's node and tini are of the target's architecture; every
# stage that installs, compiles or strips runs on the build machine's (BUILDPLATFORM, which Docker and newer podman set
# themselves; podman 4.3 needs `--build-arg BUILDPLATFORM=linux/amd64`), so nothing is emulated but one useradd.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim
ARG BUILDPLATFORM
ARG TARGETPLATFORM

# The build machine's tools: binutils-multiarch (strip for either architecture's files) and the target's tini (the
# runtime's PID 1: it forwards signals to node and reaps orphaned processes, which node as PID 1 would leave as zombies),
# unpacked from Debian's package of the target's architecture.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS tools
ARG TARGETARCH
RUN [ "$TARGETARCH" = "$(dpkg --print-architecture)" ] || dpkg --add-architecture "$TARGETARCH"; \
    apt-get update && apt-get install -y --no-install-recommends binutils-multiarch \
 && cd /tmp && apt-get download "tini:$TARGETARCH" && dpkg-deb -x tini_*.deb /tini && rm -f tini_*.deb \
 && rm -rf /var/lib/apt/lists/*

# The target's node binary (nothing runs in this stage).
FROM --platform=$TARGETPLATFORM ${NODE_IMAGE} AS target-node

# Every dependency (dev included), for the build. No install scripts: the package's own (the libdeflate addon) is
# built in the next stage, for the target.
FROM tools AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund

# The fast inflate addon (native/, README "Set-up") for the target's CPU, by node-gyp on the build machine: the
# target's libdeflate.a (Debian's libdeflate-dev of that architecture) and, for another architecture, Debian's cross
# compiler. WIKIREVERSE_NATIVE=require: an image whose workers would fall back to zlib is not built.
FROM deps AS native
ARG TARGETARCH
RUN host="$(dpkg --print-architecture)"; \
    case "$TARGETARCH" in amd64) triplet=x86_64-linux-gnu ;; arm64) triplet=aarch64-linux-gnu ;; *) echo "no addon build for $TARGETARCH" >&2; exit 1 ;; esac; \
    cross=""; [ "$TARGETARCH" = "$host" ] || cross="g++-$triplet"; \
    apt-get update && apt-get install -y --no-install-recommends python3 make g++ $cross "libdeflate-dev:$TARGETARCH" \
 && rm -rf /var/lib/apt/lists/* && echo "$triplet" > /tmp/triplet
COPY native ./native
COPY scripts/build-native.mjs ./scripts/
RUN triplet="$(cat /tmp/triplet)"; host="$(dpkg --print-architecture)"; \
    if [ "$TARGETARCH" != "$host" ]; then export CC="$triplet-gcc" CXX="$triplet-g++" LINK="$triplet-g++" npm_config_arch="$(case "$TARGETARCH" in amd64) echo x64 ;; *) echo "$TARGETARCH" ;; esac)"; fi; \
    LIBDEFLATE_A="/usr/lib/$triplet/libdeflate.a" WIKIREVERSE_NATIVE=require node scripts/build-native.mjs \
 && strip --strip-unneeded native/build/Release/wikireverse_inflate.node

# TypeScript -> dist/.
FROM deps AS build
COPY tsconfig.json ./
COPY src ./src
COPY jobs ./jobs
COPY scripts ./scripts
RUN npm run build

# What the worker loads: the production install for the target's CPU (`npm ci --cpu`: DuckDB's and msgpackr's native
# packages of that architecture; no install scripts, every native part is a prebuilt package), mostly from the cache the
# full install left; then no packages only the coordinator's commands load (fleet: client-ec2, client-cloudwatch-logs;
# dashboard: bull-board, express; report.html: chart.js), which also takes out typescript (bull-board's valibot names it
# as an optional peer, so --omit=dev alone keeps it); no type declarations or source maps (Node never reads them); no
# npm cache. Native files (node, DuckDB's library) without their symbol tables, as Debian ships its own binaries:
# nothing reads them at run time.
FROM deps AS worker-deps
ARG TARGETARCH
COPY --from=target-node /usr/local/bin/node /app/node
RUN export npm_config_cpu="$(case "$TARGETARCH" in amd64) echo x64 ;; *) echo "$TARGETARCH" ;; esac)" npm_config_os=linux npm_config_libc=glibc \
 && npm ci --omit=dev --ignore-scripts --prefer-offline --no-audit --no-fund \
 && npm uninstall --omit=dev --offline --ignore-scripts --no-audit --no-fund @aws-sdk/client-ec2 @aws-sdk/client-cloudwatch-logs @bull-board/api @bull-board/express chart.js express \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete \
 && npm cache clean --force \
 && find node_modules -type f \( -name '*.so' -o -name '*.node' \) -exec strip --strip-unneeded {} + \
 && strip --strip-unneeded /app/node

FROM --platform=$TARGETPLATFORM ${DEBIAN_IMAGE} AS runtime
# No setuid or setgid file (su, passwd, mount...): nothing in the image can gain privileges, even without
# `--security-opt no-new-privileges` (which README "Container image" recommends as well).
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && find / -xdev -type f -perm /6000 -exec chmod ug-s {} +
COPY --from=tools /tini/usr/bin/tini /usr/bin/tini
COPY --from=worker-deps /app/node /usr/local/bin/node
ENV NODE_ENV=production WIKIREVERSE_HEALTH_PORT=9464 WIKIREVERSE_HEALTH_HOST=0.0.0.0 WIKIREVERSE_LOG_LEVEL=info
WORKDIR /app
COPY package.json ./
COPY --from=worker-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=native /app/native/build/Release/wikireverse_inflate.node ./native/build/Release/wikireverse_inflate.node
USER node
EXPOSE 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.WIKIREVERSE_HEALTH_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# --single-threaded --no-incremental-marking: WORKER_NODE_FLAGS in src/config (one worker process per vCPU; V8 background
# threads would only compete; full GCs at once keep Node 24 from piling up ArrayBuffers during a crawling incremental marking).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--single-threaded", "--no-incremental-marking", "/app/dist/cli.js", "worker"]
