FROM php:8.3-fpm-alpine3.19
RUN apk add --no-cache icu-dev=74.1-r0 \
    && docker-php-ext-install intl opcache
COPY --from=composer:2.7 /usr/bin/composer /usr/bin/composer
WORKDIR /var/www
COPY composer.json composer.lock ./
RUN composer install --no-dev --no-scripts --prefer-dist
COPY . .
USER www-data
HEALTHCHECK CMD ["php-fpm-healthcheck"]
CMD ["php-fpm"]
