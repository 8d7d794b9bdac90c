# WikiReverse worker image: `docker build -t wikireverse .`, then
#   docker run --rm -e WIKIREVERSE_REDIS_URL=redis://host:6379 -p 9464:9464 wikireverse --run <runId>
# (arguments after the image go to `wikireverse worker`). test/integration/container.test.ts builds this runtime
# stage's contents with the same RUN/COPY lines and runs a worker from them.
ARG NODE_IMAGE=node:24-bookworm-slim

# Build stage: dev dependencies, TypeScript -> dist/.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY jobs ./jobs
COPY scripts ./scripts
RUN npm run build

# Runtime stage: production dependencies (DuckDB's native package included) and dist/ only.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production WIKIREVERSE_HEALTH_PORT=9464 WIKIREVERSE_HEALTH_HOST=0.0.0.0 WIKIREVERSE_LOG_LEVEL=info
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY --from=build /app/dist ./dist
USER node
EXPOSE 9464
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.WIKIREVERSE_HEALTH_PORT||9464)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# --single-threaded: WORKER_NODE_FLAGS in src/config (one worker process per vCPU; V8 background threads would only compete).
ENTRYPOINT ["node", "--single-threaded", "/app/dist/cli.js", "worker"]
