ARG PYTHON_VERSION=3.12
ARG DEBIAN=bookworm
FROM python:${PYTHON_VERSION}-slim-${DEBIAN} AS base
ARG PIP_VERSION=24.0
RUN pip install --no-cache-dir pip==${PIP_VERSION}

FROM base AS app
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN useradd -r app
USER app
CMD ["python", "main.py"]
