FROM alpine:latest
ADD ./pgbouncer-authfile /pgbouncer-authfile
WORKDIR /
ENTRYPOINT ["/pgbouncer-authfile"]
