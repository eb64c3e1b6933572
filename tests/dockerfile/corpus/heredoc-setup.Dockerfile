# syntax=docker/dockerfile:1.4
FROM debian:bookworm-slim
RUN <<EOF
set -eux
apt-get update
apt-get install -y --no-install-recommends ca-certificates curl
rm -rf /var/lib/apt/lists/*
EOF
COPY <<EOF /etc/app/config.yaml
listen: 0.0.0.0:8080
log_level: info
EOF
RUN <<EOF bash
curl -fsSL https://example.com/install.sh -o /tmp/install.sh
echo "0123456789abcdef  /tmp/install.sh" | sha256sum -c -
bash /tmp/install.sh
EOF
USER nobody
CMD ["/usr/local/bin/app"]
