FROM alpine
RUN apk update
RUN apk add curl bash jq
RUN wget -O /usr/local/bin/kubectl http://dl.k8s.io/release/v1.29.0/bin/linux/amd64/kubectl && chmod +x /usr/local/bin/kubectl
ENTRYPOINT ["/bin/bash"]
