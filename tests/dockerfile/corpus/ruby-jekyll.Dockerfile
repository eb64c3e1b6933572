FROM ruby:3.2-alpine
RUN apk add --no-cache build-base
RUN gem install jekyll bundler
WORKDIR /site
COPY . .
EXPOSE 4000
CMD jekyll serve --host 0.0.0.0
