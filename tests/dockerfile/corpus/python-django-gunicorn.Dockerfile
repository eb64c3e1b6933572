FROM python:3.12-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 gcc \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /srv/app
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/production.txt gunicorn
COPY . .
RUN python manage.py collectstatic --noinput
RUN useradd -m django
USER django
EXPOSE 8000
CMD gunicorn config.wsgi:application --bind 0.0.0.0:8000
