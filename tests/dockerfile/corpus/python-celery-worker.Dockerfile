FROM python:3.10
RUN apt-get update
RUN apt-get install -y curl
RUN curl -sSL https://install.python-poetry.org | python3 -
ENV PATH="/root/.local/bin:$PATH" CELERY_BROKER_URL=redis://:redispass@redis:6379/0
WORKDIR /app
COPY . /app
RUN poetry install --no-dev
CMD ["celery", "-A", "tasks", "worker", "--loglevel=info"]
