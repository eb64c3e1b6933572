FROM alpine/git AS source
RUN git clone https://deploy:ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/acme/app.git /src

FROM node:20-alpine
COPY --from=source /src /app
WORKDIR /app
RUN npm ci && npm run build
USER node
CMD ["node", "."]
