FROM node:20.11.1-bookworm-slim@sha256:357deca6eb61149534d32faad0d2d1a9a59e5d0c8b8ad4b7a2e0d1a1b6f1e2c3
WORKDIR /home/node/app
COPY --chown=node:node .yarn ./.yarn
COPY --chown=node:node package.json yarn.lock .yarnrc.yml ./
RUN corepack enable && yarn install --immutable
COPY --chown=node:node . .
USER node
HEALTHCHECK --interval=15s CMD node healthcheck.js
CMD ["node", "index.js"]
