FROM ubuntu:jammy
RUN apt-get update && apt-get install -y --no-install-recommends curl ca-certificates git jq \
    && rm -rf /var/lib/apt/lists/*
RUN curl -fsSL https://get.docker.com | sh
ARG RUNNER_TOKEN
RUN useradd -m runner && usermod -aG docker runner
VOLUME /var/run/docker.sock
USER runner
WORKDIR /home/runner
ENTRYPOINT ["./run.sh"]
