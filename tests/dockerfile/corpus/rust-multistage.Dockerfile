FROM rust:1.77 AS builder
WORKDIR /usr/src/app
COPY Cargo.toml Cargo.lock ./
COPY src ./src
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates=20230311 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=builder /usr/src/app/target/release/svc /usr/local/bin/svc
RUN useradd -r -s /usr/sbin/nologin svc
USER svc
EXPOSE 7000
CMD ["svc"]
