FROM php:8.0.3-apache
ADD . /var/www/html/
EXPOSE 80
