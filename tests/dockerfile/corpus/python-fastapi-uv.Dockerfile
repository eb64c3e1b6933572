FROM ghcr.io/astral-sh/uv:0.4.18-python3.12-bookworm-slim AS build
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev
COPY app ./app

FROM python:3.12-slim-bookworm
RUN useradd --system --uid 10001 --no-create-home api
COPY --from=build --chown=api:api /app /app
ENV PATH="/app/.venv/bin:$PATH"
USER 10001
EXPOSE 8000 9100
HEALTHCHECK CMD ["python", "-c", "import socket; socket.create_connection(('127.0.0.1', 8000))"]
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0"]
