# syntax=docker/dockerfile:1-labs
FROM docker:25-dind
RUN --security=insecure mount -t tmpfs none /mnt
RUN apk add --allow-untrusted /tmp/local.apk
EXPOSE 2375
