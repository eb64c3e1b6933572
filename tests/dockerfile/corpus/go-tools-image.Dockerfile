FROM golang:1.22-bookworm
RUN go install golang.org/x/tools/gopls@v0.15.3 \
    && go install honnef.co/go/tools/cmd/staticcheck@2023.1.7 \
    && go install github.com/golangci/golangci-lint/cmd/golangci-lint
WORKDIR /workspace
