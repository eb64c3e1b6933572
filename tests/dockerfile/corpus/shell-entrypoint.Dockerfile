FROM openjdk:17-slim
COPY build/app.jar /app.jar
ENTRYPOINT exec java $JAVA_OPTS -jar /app.jar
