# very basic dockerfile. not optimised at all
FROM node:21.7.1 as base
WORKDIR /app
COPY . .
RUN yarn install --frozen-lockfile
RUN curl -fsS https://dotenvx.sh/ | sh