FROM nginxinc/nginx-unprivileged:1.25.4-alpine3.18-slim@sha256:5ac54bf5c6f9a5b1c3d0bb1e30f5f8b5a4e4c6f27a1b4f1a1f5b6f1e5a6c7d8e
LABEL org.opencontainers.image.authors="web@example.com" org.opencontainers.image.source="https://example.com/web"
COPY --chown=101:101 default.conf /etc/nginx/conf.d/default.conf
COPY --chown=101:101 build/ /usr/share/nginx/html
USER 101
EXPOSE 8080
HEALTHCHECK --interval=30s CMD ["wget", "-q", "--spider", "http://127.0.0.1:8080/"]
