FROM wordpress:6.4-php8.2-apache
RUN curl -o /tmp/plugin.zip http://downloads.wordpress.org/plugin/akismet.5.3.zip \
    && unzip /tmp/plugin.zip -d /usr/src/wordpress/wp-content/plugins \
    && rm /tmp/plugin.zip
COPY wp-config.php /usr/src/wordpress/
RUN chmod 666 /usr/src/wordpress/wp-config.php
