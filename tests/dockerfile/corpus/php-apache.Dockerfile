FROM php:8.2-apache
RUN apt-get update && apt-get install -y libzip-dev unzip \
    && docker-php-ext-install zip pdo_mysql
RUN curl -sS https://getcomposer.org/installer | php -- --install-dir=/usr/local/bin --filename=composer
COPY . /var/www/html/
RUN chown -R www-data:www-data /var/www/html && chmod -R 775 /var/www/html/storage
ENV APP_KEY=base64:Zm9vYmFyYmF6cXV4 DB_PASSWORD=secret
EXPOSE 80
