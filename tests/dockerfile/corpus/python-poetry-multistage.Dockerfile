# syntax=docker/dockerfile:1.6
FROM python:3.12-slim@sha256:af4e85f1cac90dd3771e47292ea7c8a9830abfabbe4faa5c53f158854c2e819d AS builder
ENV POETRY_VERSION=1.8.2
RUN pip install --no-cache-dir poetry==${POETRY_VERSION}
WORKDIR /build
COPY pyproject.toml poetry.lock ./
RUN --mount=type=cache,target=/root/.cache \
    poetry export -f requirements.txt --output requirements.txt --without-hashes \
    && pip wheel --wheel-dir /wheels -r requirements.txt

FROM python:3.12-slim@sha256:af4e85f1cac90dd3771e47292ea7c8a9830abfabbe4faa5c53f158854c2e819d
LABEL org.opencontainers.image.source="https://example.com/acme/api"
RUN groupadd -r app && useradd -r -g app -s /usr/sbin/nologin app
COPY --from=builder /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links=/wheels /wheels/* && rm -rf /wheels
WORKDIR /app
COPY --chown=app:app src/ ./src/
USER app
HEALTHCHECK --interval=30s CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"]
EXPOSE 8080
ENTRYPOINT ["python", "-m", "src.main"]
