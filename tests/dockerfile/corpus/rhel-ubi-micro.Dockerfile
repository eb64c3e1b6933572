FROM registry.access.redhat.com/ubi9/ubi-minimal:9.3
RUN microdnf install -y shadow-utils java-17-openjdk-headless \
    && microdnf clean all \
    && useradd -r -u 1001 app
COPY target/app.jar /deployments/app.jar
USER 1001
CMD ["java", "-jar", "/deployments/app.jar"]
