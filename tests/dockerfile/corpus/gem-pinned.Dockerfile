FROM ruby:3.3-alpine
RUN gem install fpm -v 1.15.1 && gem install rake:13.1.0
RUN apk add --no-cache rpm=4.19.1-r0
ENTRYPOINT ["fpm"]
