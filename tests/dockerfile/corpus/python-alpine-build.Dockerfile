FROM python:3.11-alpine3.19
RUN apk add --no-cache --virtual .build-deps gcc musl-dev libffi-dev \
    && pip install --no-cache-dir cryptography==42.0.5 \
    && apk del .build-deps
RUN adduser -D -H worker
COPY worker.py /opt/worker.py
USER worker
CMD ["python", "/opt/worker.py"]
