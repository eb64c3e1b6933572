FROM debian:12
WORKDIR /
COPY app /app
RUN chmod u+s /app/helper && chmod 4755 /app/runner
USER root
CMD ["/app/runner"]
