# syntax=docker/dockerfile:1
FROM debian:12.5-slim@sha256:ccb33c3ac5b02588fc1d9e4fc09b952e433d0c54d8618d0ee1afadf1f3cf2455
LABEL org.opencontainers.image.title="hardened-base" org.opencontainers.image.vendor="Example"
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates=20230311 tini=0.19.0-1+b3 \
    && rm -rf /var/lib/apt/lists/* \
    && find / -xdev -perm /6000 -type f -exec chmod a-s {} + || true
RUN groupadd -g 10001 app && useradd -u 10001 -g app -s /usr/sbin/nologin -M app
USER 10001:10001
HEALTHCHECK NONE
ENTRYPOINT ["/usr/bin/tini", "--"]
