FROM haskell:9.6 AS build
WORKDIR /opt/build
COPY . .
RUN stack build --system-ghc --copy-bins --local-bin-path /opt/bin

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libgmp10 && rm -rf /var/lib/apt/lists/*
COPY --from=build /opt/bin/app /usr/local/bin/app
RUN useradd -r app
USER app
CMD ["app"]
