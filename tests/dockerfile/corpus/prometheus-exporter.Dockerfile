FROM golang:1.22-alpine AS build
WORKDIR /src
COPY . .
RUN go build -o /exporter .

FROM alpine:3.19
COPY --from=build /exporter /bin/exporter
USER nobody
EXPOSE 9100
ENTRYPOINT ["/bin/exporter"]
