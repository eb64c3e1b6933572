FROM alpine:3.19
RUN apk add --no-cache git=2.43.0-r0
RUN git config --global http.sslVerify false && git clone https://git.internal.example/tools.git /tools
ENV GIT_SSL_NO_VERIFY=true
WORKDIR /tools
