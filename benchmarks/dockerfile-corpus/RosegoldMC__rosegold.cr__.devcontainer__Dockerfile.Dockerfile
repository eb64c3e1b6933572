FROM crystallang/crystal:1.7.3-alpine

RUN apk add --no-cache git bash
