# The service on the current Node LTS. It expects DATABASE_URL (the embedded database is for development)
# and AUTH_JWT_SECRET or AUTH_JWKS_URL; the steps mirror README's.
ARG NODE_VERSION=24

FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json vite.config.ts ./
COPY scripts ./scripts
COPY src ./src
COPY web ./web
# The server (tsc) and the console (Vite, into dist/web, served at /console).
RUN npm run build

FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080 DATA_DIR=/app/.data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY migrations ./migrations
RUN mkdir -p /app/.data && chown node:node /app/.data
# Exports, the generated secrets (dev tokens, cursors, download links) and any embedded database live here:
# a volume, so a new container keeps them (README: docker run -v run-logs-data:/app/.data).
VOLUME ["/app/.data"]
USER node
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:' + process.env.PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
CMD ["node", "dist/server.js"]
