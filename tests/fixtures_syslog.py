"""A real rsyslog on a free loopback port (imtcp, optionally TLS via gtls), writing to a file.

``rsyslog_server(tmp_path, tls=True)`` starts ``rsyslogd -n -f CONF -i PIDFILE`` with test
certificates made here with ``cryptography``; ``stop()`` and ``start()`` take it down and bring it
back on the same port, appending to the same output file.
"""

from __future__ import annotations

import datetime
import glob
import ipaddress
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import free_port, missing_component

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
GTLS_MODULES = ("/usr/lib/*/rsyslog/lmnsd_gtls.so", "/usr/lib/rsyslog/lmnsd_gtls.so")


@dataclass
class Rsyslog:
    """One rsyslogd: its port, its output file (``%msgid% %structured-data%`` per message)."""

    directory: Path
    port: int
    tls: bool
    ca_file: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def output(self) -> Path:
        return self.directory / "received.log"

    def start(self) -> None:
        conf = self.directory / "rsyslog.conf"
        conf.write_text(_conf(self))
        with (self.directory / "rsyslogd.out").open("ab") as log:
            self.process = subprocess.Popen(
                [RSYSLOGD, "-n", "-f", str(conf), "-i", str(self.directory / "rsyslogd.pid")],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"rsyslogd exited: {(self.directory / 'rsyslogd.out').read_text()}"
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("rsyslogd did not listen")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(20)
        self.process = None

    def lines(self) -> list[str]:
        return self.output.read_text().splitlines() if self.output.exists() else []


def _conf(server: Rsyslog) -> str:
    work = server.directory / "work"
    work.mkdir(exist_ok=True)
    lines = [f'global(workDirectory="{work}" maxMessageSize="128k")']
    tcp = 'module(load="imtcp")'
    if server.tls:
        d = server.directory
        lines.append(
            f'global(DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="{d}/ca.pem" '
            f'DefaultNetstreamDriverCertFile="{d}/server.pem" '
            f'DefaultNetstreamDriverKeyFile="{d}/server.key")'
        )
        tcp = ('module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" '
               'StreamDriver.AuthMode="anon")')  # fmt: skip
    lines += [
        tcp,
        'template(name="seqs" type="string" string="%msgid% %structured-data%\\n")',
        f'input(type="imtcp" port="{server.port}" address="127.0.0.1")',
        f'action(type="omfile" file="{server.output}" template="seqs")',
    ]
    return "\n".join(lines) + "\n"


_CA_USAGE = x509.KeyUsage(
    digital_signature=True,
    key_cert_sign=True,
    crl_sign=True,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    encipher_only=False,
    decipher_only=False,
)


def _certificates(directory: Path) -> Path:
    """A CA and a server certificate for localhost / 127.0.0.1; the CA file's path."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealtrail test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_CA_USAGE, critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    (directory / "server.pem").write_bytes(cert.public_bytes(pem))
    (directory / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return directory / "ca.pem"


def rsyslog_server(directory: Path, *, tls: bool) -> Rsyslog:
    """A started rsyslog in ``directory``; skips (fails under CI) when rsyslog is missing."""
    if not Path(RSYSLOGD).exists():
        missing_component("rsyslogd is not installed (Debian package rsyslog)")
    if tls and not any(glob.glob(pattern) for pattern in GTLS_MODULES):
        missing_component("rsyslog's TLS driver is not installed (Debian package rsyslog-gnutls)")
    directory.mkdir(parents=True, exist_ok=True)
    server = Rsyslog(directory, free_port(), tls, _certificates(directory) if tls else None)
    server.start()
    return server


@pytest.fixture(params=["tcp", "tls"])
def rsyslog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Rsyslog]:
    """A real rsyslog over plain TCP, then over TLS."""
    server = rsyslog_server(tmp_path / "rsyslog", tls=request.param == "tls")
    yield server
    server.stop()
