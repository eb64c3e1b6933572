"""Docker's bearer token flow through the gateway: the registry's challenge names a separate token
service (left as it is), the client fetches a token there, and the gateway records the token's
subject as the actor. The token service is a small one of the test's own: it signs ES256 JWTs
with a key whose certificate the real registry trusts."""

from __future__ import annotations

import base64
import datetime
import json
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from tests.conftest import free_port
from tests.fixtures_gateway import start_gateway
from tests.fixtures_registry import ImageBuilder, Registry, require_tools

SERVICE, ISSUER, PASSWORD = "test-registry", "test-issuer", "pw"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class TokenIssuer:
    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @classmethod
    def new(cls) -> TokenIssuer:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.UTC)
        certificate = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )  # fmt: skip
        return cls(key, certificate)

    def token(self, subject: str, scopes: list[str]) -> str:
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        header = {"alg": "ES256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
        now = int(datetime.datetime.now(datetime.UTC).timestamp())
        access = []
        for scope in scopes:
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        claims = {
            "iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300, "nbf": now - 10,
            "iat": now, "jti": uuid.uuid4().hex, "access": access,
        }  # fmt: skip
        signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
        r, s = decode_dss_signature(
            self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        )
        return f"{signing_input}.{_b64(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


def _serve_tokens(issuer: TokenIssuer, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            user, _, password = (
                base64.b64decode(self.headers.get("Authorization", "Basic Og==").split(" ", 1)[1])
                .decode()
                .partition(":")
            )
            if password != PASSWORD:
                self.send_response(401)
                self.end_headers()
                return
            token = issuer.token(user, query.get("scope", []))
            body = json.dumps({"token": token, "access_token": token}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@dataclass
class TokenRegistry(Registry):
    realm: str = ""
    bundle: str = ""

    def _config(self) -> dict[str, object]:
        config = super()._config()
        config["auth"] = {
            "token": {
                "realm": self.realm, "service": SERVICE, "issuer": ISSUER,
                "rootcertbundle": self.bundle,
            }
        }  # fmt: skip
        return config


@pytest.fixture
def token_registry(tmp_path: Path) -> Iterator[TokenRegistry]:
    require_tools("docker-registry")
    issuer = TokenIssuer.new()
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(issuer.certificate.public_bytes(serialization.Encoding.PEM))
    token_port = free_port()
    tokens = _serve_tokens(issuer, token_port)
    directory = tmp_path / "registry"
    directory.mkdir()
    registry = TokenRegistry(
        directory, free_port(), realm=f"http://127.0.0.1:{token_port}/token", bundle=str(bundle)
    )
    registry.start()
    yield registry
    registry.stop()
    tokens.shutdown()
    tokens.server_close()


def test_a_bearer_token_passes_through_and_its_subject_is_the_actor(
    tmp_path: Path, token_registry: TokenRegistry, image_builder: ImageBuilder
) -> None:
    gateway = start_gateway(tmp_path / "data", token_registry)
    try:
        challenge = httpx.get(f"{gateway.url}/v2/").headers["www-authenticate"]
        assert challenge.startswith(f'Bearer realm="{token_registry.realm}"')
        target = f"docker://{gateway.host}/team/app:v1"
        pushed = subprocess.run(
            ["skopeo", "copy", "--dest-tls-verify=false", "--dest-creds", f"dave:{PASSWORD}",
             image_builder.build("v1"), target],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert pushed.returncode == 0, pushed.stderr
        inspected = subprocess.run(
            ["skopeo", "inspect", "--tls-verify=false", "--creds", f"erin:{PASSWORD}", target],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert inspected.returncode == 0, inspected.stderr
    finally:
        gateway.stop()
    [push] = gateway.events("image.push")
    assert push["actor"]["id"] == "dave"
    assert push["outcome"] == "success"
    pulls = [p for p in gateway.events("image.pull") if p["outcome"] == "success"]
    assert {p["actor"]["id"] for p in pulls} == {"erin"}
    assert {p["target"]["digest"] for p in pulls} == {push["target"]["digest"]}
