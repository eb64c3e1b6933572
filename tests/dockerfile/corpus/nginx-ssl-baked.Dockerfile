FROM nginx:stable
COPY certs/server.crt /etc/nginx/ssl/server.crt
COPY certs/server.key /etc/nginx/ssl/server.key
COPY site.conf /etc/nginx/conf.d/
EXPOSE 443
