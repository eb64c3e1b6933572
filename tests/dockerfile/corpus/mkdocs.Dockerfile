FROM python:3.12-alpine
RUN pip install --no-cache-dir mkdocs-material==9.5.13 mkdocs-minify-plugin
WORKDIR /docs
COPY . .
EXPOSE 8000
ENTRYPOINT ["mkdocs"]
CMD ["serve", "--dev-addr=0.0.0.0:8000"]
