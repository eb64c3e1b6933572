FROM docker.elastic.co/elasticsearch/elasticsearch:8.12.2
RUN bin/elasticsearch-plugin install --batch analysis-icu
EXPOSE 9200 9300
