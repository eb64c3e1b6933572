FROM alpine:3.19.1
RUN apk add --no-cache curl=8.5.0-r0 jq=1.7.1-r0 \
    && addgroup -S ops && adduser -S -G ops ops
COPY --chmod=755 entry.sh /entry.sh
USER ops
ENTRYPOINT ["/entry.sh"]
