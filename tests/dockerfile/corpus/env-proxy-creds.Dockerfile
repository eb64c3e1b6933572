FROM debian:bookworm
ENV http_proxy=http://proxyuser:Pr0xyPass@proxy.corp.example:3128 https_proxy=http://proxy.corp.example:3128
RUN apt-get update && apt-get install -y --allow-unauthenticated internal-agent
CMD ["internal-agent"]
