FROM node:14-alpine
# tools
RUN apk add git
