FROM quay.io/keycloak/keycloak:24.0 AS builder
ENV KC_DB=postgres
WORKDIR /opt/keycloak
RUN /opt/keycloak/bin/kc.sh build

FROM quay.io/keycloak/keycloak:24.0
COPY --from=builder /opt/keycloak/ /opt/keycloak/
ENV KEYCLOAK_ADMIN=admin KEYCLOAK_ADMIN_PASSWORD=change_me
ENTRYPOINT ["/opt/keycloak/bin/kc.sh"]
