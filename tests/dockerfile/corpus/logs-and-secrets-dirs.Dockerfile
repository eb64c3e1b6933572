FROM python:3.12-slim
RUN useradd -r svc
RUN mkdir -p /srv/logs /srv/secrets /srv/cache \
    && chown -R svc:svc /srv \
    && chmod 700 /srv/secrets
RUN mkdir -m 750 /var/log/svc
USER svc
HEALTHCHECK CMD /srv/bin/healthcheck.sh
CMD ["python", "-m", "svc"]
