FROM python:3.13-slim

WORKDIR /app

# System deps kept minimal; wheels cover asyncpg/numpy/polars on slim.
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY app ./app

EXPOSE 8000
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000"]
