# syntax=docker/dockerfile:1
#
# codex-gateway container image: two stages, the runtime one with production
# dependencies only, running as an unprivileged numeric user.
#
# Base image: Node 20 on Debian bookworm-slim, pinned by exact tag AND by digest.
# The digest below is the multi-arch index digest of node:20.20.2-bookworm-slim as
# recorded in several public repositories' Dockerfiles and build logs (found through
# a code search while writing this file; no registry was reachable to re-check it).
# The release workflow / Renovate must re-resolve and bump it: a digest pin is only
# as good as the last time someone checked it against the registry.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim@sha256:2cf067cfed83d5ea958367df9f966191a942351a2df77d6f0193e162b5febfc0

# ---- build: dev dependencies, TypeScript compile --------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# --ignore-scripts: no dependency lifecycle script runs during the build.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies only --------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    GATEWAY_DATA_DIR=/data \
    GATEWAY_POLICY_FILE=/app/policy/policy.json
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
# Application files stay owned by root and read-only for the runtime user: a compromised
# process cannot rewrite the code or the policy it is judged by.
COPY --from=build /src/dist ./dist
COPY policy ./policy
# The only writable place: the audit log and its signing key live under /data.
RUN mkdir -p /data && chown 65532:65532 /data && chmod 0700 /data
VOLUME ["/data"]
USER 65532:65532
EXPOSE 8787
# No curl in the slim image: the health check uses node's fetch against /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8787) + '/healthz').then((r) => process.exit(r.status === 200 ? 0 : 1), () => process.exit(1))"]
# Production mode refuses generated dev clients: mount a clients file (mode 0600, owned
# by 65532) and set GATEWAY_CLIENTS_FILE, e.g. -e GATEWAY_CLIENTS_FILE=/run/secrets/clients.json.
CMD ["node", "dist/main.js"]
