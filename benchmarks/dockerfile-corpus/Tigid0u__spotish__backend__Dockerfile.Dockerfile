FROM eclipse-temurin:17-jre

WORKDIR /app

COPY target/spotish.jar /app/spotish.jar

EXPOSE 8080

CMD ["java", "-jar", "spotish.jar"]
