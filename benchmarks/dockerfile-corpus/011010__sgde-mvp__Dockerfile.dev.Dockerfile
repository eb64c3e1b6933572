# Development Dockerfile - Optimized for hot reload
FROM node:20-alpine

RUN apk add --no-cache \
    libc6-compat \
    wget

WORKDIR /app

# Copy package files
COPY package.json package-lock.json ./

# Install all dependencies (including dev dependencies)
RUN npm ci && npm cache clean --force

# Copy prisma schema
COPY prisma ./prisma

# Generate Prisma Client
RUN npx prisma generate

# Copy source code
COPY . .

EXPOSE 3000

# Run migrations and start dev server
# If deploy fails (e.g. failed migration in DB), reset DB and retry — safe for dev
CMD ["sh", "-c", "npx prisma migrate deploy || (echo 'Migration failed, resetting database...' && npx prisma migrate reset --force && npx prisma migrate deploy) && npm run dev"]
