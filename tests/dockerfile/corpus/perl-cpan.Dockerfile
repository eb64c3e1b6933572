FROM perl:5.38
RUN cpanm --notest Mojolicious
COPY app.pl /app/app.pl
EXPOSE 3000
CMD perl /app/app.pl daemon -l http://*:3000
