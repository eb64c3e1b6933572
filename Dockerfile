# syntax=docker/dockerfile:1
# sealtrail as a container: the HTTP API and web console on port 8080, the ledger in a volume.
#
#   docker build -t sealtrail .
#   docker run -p 8080:8080 -v sealtrail-data:/var/lib/sealtrail sealtrail
#
# The base image is pinned by digest. Refresh tag and digest together when Debian or Python
# publish fixes (skopeo inspect docker://docker.io/library/python:3.11-slim-bookworm); a
# stale digest fails the build instead of building on something unreviewed.
# The file passes its own audit: sealtrail audit dockerfile Dockerfile --fail-on medium
ARG PYTHON=python:3.11-slim-bookworm@sha256:2e32f7d302adc1c37428355c1e646897c0c53f4fd60b6a551245fb90ee129f91

FROM ${PYTHON} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN python -m venv /opt/sealtrail \
    && /opt/sealtrail/bin/pip install --no-compile .

FROM ${PYTHON}
LABEL org.opencontainers.image.title="sealtrail" \
      org.opencontainers.image.description="A sealed, verifiable audit trail for software supply chains" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/sealtrail/sealtrail"
RUN groupadd --system --gid 10001 sealtrail \
    && useradd --system --uid 10001 --gid sealtrail --home-dir /var/lib/sealtrail \
       --shell /usr/sbin/nologin sealtrail \
    && mkdir -m 750 /var/lib/sealtrail \
    && chown sealtrail:sealtrail /var/lib/sealtrail \
    && find / -xdev -perm /6000 -type f -exec chmod a-s {} +
COPY --from=build /opt/sealtrail /opt/sealtrail
ENV PATH=/opt/sealtrail/bin:$PATH \
    SEALTRAIL_DIR=/var/lib/sealtrail \
    SEALTRAIL_HOST=0.0.0.0 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
WORKDIR /var/lib/sealtrail
VOLUME /var/lib/sealtrail
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
# A first start makes the ledger and its signing key in the volume; later starts reuse them.
CMD ["/bin/sh", "-c", "[ -f \"$SEALTRAIL_DIR/signing.key\" ] || sealtrail init; exec sealtrail serve"]
