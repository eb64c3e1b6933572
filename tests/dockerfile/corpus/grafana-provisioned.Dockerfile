FROM grafana/grafana:10.4.0
COPY provisioning/ /etc/grafana/provisioning/
ENV GF_SECURITY_ADMIN_PASSWORD=admin GF_AUTH_ANONYMOUS_ENABLED=false
EXPOSE 3000
