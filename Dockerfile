# WikiReverse worker image (README "Container image"): `podman build --format docker -t wikireverse .` (or docker build), then
#   docker run --rm -e WIKIREVERSE_REDIS_URL=redis://host:6379 -p 9464:9464 wikireverse --run <runId>
# (arguments after the image go to `wikireverse worker`). test/integration/container.test.ts builds it and runs workers from it.
# Node is pinned to an exact release (scripts/node.sh's NODE_PINNED); the runtime is Debian slim with that release's
# node binary, tini as PID 1, the packages the worker loads and dist/: no npm, no headers, no type declarations.
ARG NODE_IMAGE=node:24.22.3-bookworm-slim
ARG DEBIAN_IMAGE=debian:bookworm-slim

# The stages' tools: tini (the runtime's PID 1: it forwards signals to node and reaps orphaned processes, which node
# as PID 1 would leave as zombies) and binutils (strip).
FROM ${NODE_IMAGE} AS tools
RUN apt-get update && apt-get install -y --no-install-recommends tini binutils && rm -rf /var/lib/apt/lists/*

# Every dependency (dev included), for the build.
FROM tools AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# TypeScript -> dist/.
FROM deps AS build
COPY tsconfig.json ./
COPY src ./src
COPY jobs ./jobs
COPY scripts ./scripts
RUN npm run build

# What the worker loads, pruned offline from the full install: no dev dependencies; no packages only the coordinator's
# commands load (fleet: client-ec2, client-cloudwatch-logs; dashboard: bull-board, express; report.html: chart.js), which also takes out
# typescript (bull-board's valibot names it as an optional peer, so --omit=dev alone keeps it); no type declarations or
# source maps (Node never reads them); no npm cache. Native files (node, DuckDB's library) without their symbol tables,
# as Debian ships its own binaries: nothing reads them at run time.
FROM deps AS worker-deps
RUN npm uninstall --omit=dev --offline --no-audit --no-fund @aws-sdk/client-ec2 @aws-sdk/client-cloudwatch-logs @bull-board/api @bull-board/express chart.js express \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \) -delete \
 && npm cache clean --force \
 && find node_modules -type f \( -name '*.so' -o -name '*.node' \) -exec strip --strip-unneeded {} + \
 && strip --strip-unneeded -o /app/node /usr/local/bin/node

FROM ${DEBIAN_IMAGE} AS runtime
RUN groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node
COPY --from=tools /usr/bin/tini /usr/bin/tini
COPY --from=worker-deps /app/node /usr/local/bin/node
ENV NODE_ENV=production WIKIREVERSE_HEALTH_PORT=9464 WIKIREVERSE_HEALTH_HOST=0.0.0.0 WIKIREVERSE_LOG_LEVEL=info
WORKDIR /app
COPY package.json ./
COPY --from=worker-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.WIKIREVERSE_HEALTH_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# --single-threaded --no-incremental-marking: WORKER_NODE_FLAGS in src/config (one worker process per vCPU; V8 background
# threads would only compete; full GCs at once keep Node 24 from piling up ArrayBuffers during a crawling incremental marking).
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--single-threaded", "--no-incremental-marking", "/app/dist/cli.js", "worker"]
