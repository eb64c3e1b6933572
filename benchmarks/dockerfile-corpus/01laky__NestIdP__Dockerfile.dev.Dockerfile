# syntax=docker/dockerfile:1
# Development image: source bind-mount + Nest/Vite watch (see docker-compose.dev.yml).

FROM node:20-alpine
RUN apk add --no-cache openssl
RUN corepack enable && corepack prepare pnpm@9 --activate
WORKDIR /app

COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
COPY apps/api/package.json ./apps/api/
COPY apps/web/package.json ./apps/web/
COPY packages/shared/package.json ./packages/shared/

# Source is copied below; postinstall needs tsconfig + prisma — same pattern as production Dockerfile.
RUN pnpm install --ignore-scripts

COPY . .

# Match docker-compose.dev.yml postgresql so the image layer is not sqlite-only.
ENV DATABASE_PROVIDER=postgresql
ENV DATABASE_URL=postgresql://nestidp:nestidp@postgres:5432/nestidp

RUN pnpm --filter @nestidp/shared build \
	&& node ./apps/api/scripts/sync-prisma-provider.mjs \
	&& ./apps/api/node_modules/.bin/prisma generate --schema=./apps/api/prisma/schema.prisma

EXPOSE 3000 5173
ENTRYPOINT ["/app/scripts/docker-dev-entrypoint.sh"]
