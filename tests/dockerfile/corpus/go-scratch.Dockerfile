FROM golang:1.21-alpine AS builder
RUN apk add --no-cache git ca-certificates
WORKDIR /app
COPY . .
RUN go build -o /bin/tool ./cmd/tool

FROM scratch
COPY --from=builder /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=builder /bin/tool /bin/tool
USER 65534:65534
ENTRYPOINT ["/bin/tool"]
