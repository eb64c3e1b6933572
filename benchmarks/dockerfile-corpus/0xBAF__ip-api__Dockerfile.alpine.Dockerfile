# Multi-stage build for minimal image size
FROM rust:1.98-alpine AS builder
RUN apk add --no-cache musl-dev
WORKDIR /app
COPY Cargo.toml Cargo.lock ./
COPY src ./src
RUN cargo build --release

# Runtime stage
FROM alpine:latest
RUN apk add --no-cache curl
RUN adduser -D -u 1000 ipapi
COPY --from=builder /app/target/release/ip-api /usr/local/bin/ip-api
RUN chown ipapi:ipapi /usr/local/bin/ip-api
USER ipapi

EXPOSE 7111
ENV PORT=7111

CMD ["/bin/sh", "-c", "ip-api --port ${PORT}"]