FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /build
COPY pom.xml .
RUN mvn -B dependency:go-offline
COPY src ./src
RUN mvn -B package -DskipTests

FROM eclipse-temurin:21-jre-jammy
RUN useradd -r -u 1001 spring
WORKDIR /opt/app
COPY --from=build /build/target/app.jar app.jar
USER spring
EXPOSE 8080 8081
HEALTHCHECK CMD curl -fs http://localhost:8081/actuator/health || exit 1
ENTRYPOINT ["java", "-jar", "app.jar"]
