FROM openjdk:11
MAINTAINER dev-team@example.com
ADD target/service.jar /service.jar
ENV JAVA_TOOL_OPTIONS="-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=*:5005"
EXPOSE 8080 5005
ENTRYPOINT java -jar /service.jar
