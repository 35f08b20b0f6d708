# The Foreshadow pipeline service for docker-compose.yml. TypeScript runs through tsx, so the
# image is the source tree plus production dependencies.
FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
EXPOSE 8080
CMD ["npx", "tsx", "cli/foreshadow.ts", "start"]
