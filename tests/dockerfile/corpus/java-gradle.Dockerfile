FROM gradle:8.7-jdk17 AS builder
COPY --chown=gradle:gradle . /home/gradle/src
WORKDIR /home/gradle/src
RUN gradle bootJar --no-daemon

FROM amazoncorretto:17-alpine
RUN apk add --no-cache bash curl
COPY --from=builder /home/gradle/src/build/libs/*.jar /app/app.jar
RUN addgroup -S app && adduser -S app -G app
USER app
CMD ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/app.jar"]
