FROM --platform=linux/amd64 node:20-alpine AS build
WORKDIR /app
COPY . .
RUN npm ci && npm run build

FROM --platform=linux/amd64 nginx:1.25-alpine
COPY --from=build /app/dist /usr/share/nginx/html
