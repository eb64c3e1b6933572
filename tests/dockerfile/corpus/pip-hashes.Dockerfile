FROM python:3.12-slim
COPY requirements.lock /tmp/
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock \
    && useradd -r app
USER app
CMD ["python", "-m", "app"]
