FROM rust:1-bookworm
RUN cargo install ripgrep --version 14.1.0
RUN cargo install cargo-audit
ENTRYPOINT ["cargo", "audit"]
