FROM golang:latest
WORKDIR /go/src/app
COPY . .
RUN go get -d -v ./...
RUN go install github.com/go-delve/delve/cmd/dlv@latest
RUN go build -o app .
EXPOSE 8080 2345
CMD ["./app"]
