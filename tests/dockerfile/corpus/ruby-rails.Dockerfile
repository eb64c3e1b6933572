FROM ruby:3.3.0-slim
RUN apt-get update -qq && apt-get install --no-install-recommends -y build-essential libpq-dev nodejs \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /rails
COPY Gemfile Gemfile.lock ./
RUN gem install bundler -v 2.5.6 && bundle install --jobs 4
COPY . .
RUN bundle exec rake assets:precompile
RUN useradd rails --create-home --shell /bin/bash && chown -R rails:rails db log storage tmp
USER rails:rails
EXPOSE 3000
CMD ["./bin/rails", "server"]
