# The Foreshadow image: `foreshadow run` with the configuration mounted at
# /etc/foreshadow/foreshadow.yaml (see examples/foreshadow.yaml and docker-compose.yml). TypeScript
# runs through tsx, so the image is the source tree plus production dependencies.
FROM node:20-bookworm-slim
WORKDIR /app
# patches/ must be in place before `npm ci`: its postinstall (patch-package) applies
# patches/kafkajs+2.2.4.patch (the read_committed fix exactly-once depends on).
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY . .
RUN mkdir -p /var/lib/foreshadow /etc/foreshadow && chown node:node /var/lib/foreshadow
ENV NODE_ENV=production FORESHADOW_STATE_DIR=/var/lib/foreshadow
USER node
# The ports examples/foreshadow.yaml uses: operability (/metrics, /healthz, /readyz) and the API.
EXPOSE 9464 8088
HEALTHCHECK --interval=10s --timeout=3s --start-period=90s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is the entry point (not npx): SIGTERM reaches foreshadow, which drains and exits 0.
ENTRYPOINT ["node", "--import", "tsx", "cli/foreshadow.ts"]
CMD ["run", "--config", "/etc/foreshadow/foreshadow.yaml", "--apps", "all"]
