FROM hashicorp/terraform:1.7.5
RUN apk add --no-cache aws-cli py3-pip && pip3 install --break-system-packages checkov
WORKDIR /workspace
ENTRYPOINT ["terraform"]
