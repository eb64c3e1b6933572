FROM postgres:16
ENV POSTGRES_PASSWORD=postgres POSTGRES_USER=app
COPY init.sql /docker-entrypoint-initdb.d/
EXPOSE 5432
