FROM confluentinc/cp-kafka-connect:7.6.0
ADD https://repo1.maven.org/maven2/io/debezium/debezium-connector-postgres/2.5.0.Final/debezium-connector-postgres-2.5.0.Final-plugin.tar.gz /tmp/
RUN tar -xzf /tmp/debezium-connector-postgres-2.5.0.Final-plugin.tar.gz -C /usr/share/java
