"""Every rule fires on what it looks for and stays quiet on the close look-alike."""

from __future__ import annotations

import pytest

from sealtrail.dockerfile import RULES, audit_text
from sealtrail.dockerfile.cvss import severity_of

BASE = "FROM debian:12@sha256:" + "a" * 64


def fired(text: str, has_dockerignore: bool | None = True) -> set[str]:
    return {f.rule_id for f in audit_text(text, has_dockerignore=has_dockerignore).findings}


def run(line: str) -> str:
    return f"{BASE}\nRUN {line}\nUSER app\n"


# (rule, fires on, look-alike that must not fire)
CASES = [
    ("DF001", "FROM debian:12\nUSER app", BASE + "\nUSER app"),
    ("DF001", "FROM debian:12\nUSER app", "FROM scratch\nUSER app"),
    ("DF002", "FROM debian\nUSER app", "FROM debian:12\nUSER app"),
    ("DF002", "FROM debian:latest\nUSER app", "ARG V=12\nFROM debian:${V}\nUSER app"),
    ("DF003", "FROM --platform=linux/amd64 debian:12", "FROM --platform=$BUILDPLATFORM debian:12"),
    ("DF005", "FROM a:1 AS x\nFROM b:1 AS x", "FROM a:1 AS x\nFROM b:1 AS y"),
    ("DF014", "FROM debian:12\nRUN true", "FROM debian:12\nUSER 1000"),
    (
        "DF010",
        "FROM debian:12\nUSER app\nUSER root",
        "FROM debian:12 AS build\nUSER root\nFROM debian:12\nCOPY --from=build /a /a\nUSER app",
    ),
    (
        "DF010",
        "FROM debian:12 AS base\nUSER root\nFROM base",
        "FROM debian:12 AS base\nUSER app\nFROM base",
    ),
    ("DF014", "FROM debian:12", "FROM gcr.io/distroless/static:nonroot"),
    (
        "DF014",
        "FROM debian:12 AS b\nUSER app\nFROM debian:12",
        "FROM debian:12 AS b\nUSER app\nFROM b",
    ),
    ("DF011", run("sudo apt-get install -y curl=1"), run("echo sudo is not used")),
    (
        "DF012",
        run("echo 'app ALL=(ALL) NOPASSWD:ALL' >> /etc/sudoers"),
        run("usermod -aG video app"),
    ),
    ("DF012", run("usermod -aG sudo app"), run("usermod -aG audio app")),
    ("DF013", run("echo 'root:pw' | chpasswd"), run("usermod -L app")),
    ("DF013", run("useradd -p secret app"), run("useradd -r app")),
    ("DF020", run("apt-get install -y curl"), run("apt-get install -y curl=7.88.1")),
    ("DF020", run("apt-get install -y curl"), f"{BASE}\nARG V=1\nRUN apt-get install -y curl=$V"),
    ("DF020", run("apt-get install -y curl"), run("echo apt-get install -y curl")),
    ("DF021", run("apk add --no-cache curl"), run("apk add --no-cache curl=8.5.0-r0")),
    ("DF021", run("apk add --virtual .deps gcc"), run("apk add --virtual .deps gcc=13.2.1-r0")),
    ("DF022", run("dnf install -y httpd"), run("dnf install -y httpd-2.4.57")),
    ("DF022", run("yum -y install nginx"), run("yum -y install ./local.rpm")),
    ("DF023", run("pip install flask"), run("pip install flask==3.0.0")),
    ("DF023", run("python3 -m pip install requests"), run("pip install -r requirements.txt")),
    ("DF023", run("pip install flask"), run("pip install --require-hashes -r req.txt")),
    ("DF024", run("npm install -g typescript"), run("npm install -g typescript@5.4.5")),
    ("DF024", run("npm i @scope/pkg"), run("npm ci")),
    ("DF025", run("gem install rails"), run("gem install rails -v 7.1.3")),
    (
        "DF026",
        run("go install golang.org/x/tools/gopls@latest"),
        run("go install golang.org/x/tools/gopls@v0.15.3"),
    ),
    (
        "DF027",
        f"{BASE}\nRUN apt-get update\nRUN apt-get install -y curl=1",
        run("apt-get update && apt-get install -y curl=1"),
    ),
    (
        "DF027",
        f"{BASE}\nRUN apt-get update\nRUN apt-get dist-upgrade -y",
        run("apt-get -q update && apt-get -q dist-upgrade -y"),
    ),
    ("DF028", run("apt-get dist-upgrade -y"), run("apt-get upgrade -y")),
    (
        "DF029",
        run("apt-get remove -y --purge && apt-get autoremove -y"),
        run("apt-get remove -y --purge gcc && apt-get autoremove -y"),
    ),
    ("DF029", run("apk del"), run("apk del .build-deps")),
    (
        "DF030",
        run("apt-get install -y gcc=12"),
        run("apt-get install -y gcc=12 && apt-get purge -y gcc"),
    ),
    (
        "DF030",
        run("apt-get install -y build-essential=12.9"),
        f"{BASE} AS build\nRUN apt-get install -y build-essential=12.9\n"
        f"{BASE}\nCOPY --from=build /a /a",
    ),
    ("DF030", run("apk add --virtual .b gcc=1"), run("apk add --virtual .b gcc=1 && apk del .b")),
    ("DF031", run("apt-get install -y --allow-unauthenticated x=1"), run("apt-get install -y x=1")),
    ("DF031", run("apk add --allow-untrusted x=1"), run("apk add x=1")),
    ("DF031", run("yum install -y --nogpgcheck x-1"), run("yum install -y x-1")),
    (
        "DF032",
        run("apt-get install -y openssh-server=1"),
        run("apt-get install -y openssh-client=1"),
    ),
    (
        "DF040",
        run("curl -fsSL https://x/install.sh | sh"),
        run("curl -fsSL https://x/a.tgz | tar xz"),
    ),
    (
        "DF040",
        run("wget -qO- https://x | bash -s --"),
        run("wget -qO /tmp/i.sh https://x && sha256sum -c s"),
    ),
    (
        "DF040",
        f"{BASE}\nRUN <<EOF\ncurl https://x | sh\nEOF\n",
        f"{BASE}\nCOPY <<EOF /a.sh\ncurl https://x | sh\nEOF\n",
    ),
    ("DF040", run('sh -c "$(curl -fsSL https://x)"'), run("curl -fsSL https://x -o /tmp/x")),
    ("DF041", run("curl -k https://x -o y"), run("curl -fsSL https://x -o y")),
    ("DF041", run("curl -fsSLk https://x -o y"), run("curl -fsSL https://x -o k")),
    ("DF041", run("wget --no-check-certificate https://x"), run("wget https://x")),
    ("DF041", run("pip install --trusted-host pypi.org x==1"), run("pip install x==1")),
    (
        "DF041",
        f"{BASE}\nENV NODE_TLS_REJECT_UNAUTHORIZED=0",
        f"{BASE}\nENV NODE_TLS_REJECT_UNAUTHORIZED=1",
    ),
    (
        "DF041",
        run("git config --global http.sslVerify false"),
        run("git config --global http.sslVerify true"),
    ),
    ("DF041", run("npm config set strict-ssl false"), run("npm config set strict-ssl true")),
    ("DF041", run("curl -k https://x"), f"{BASE}\n# RUN curl -k https://x\nRUN echo hi"),
    ("DF041", run("curl -k https://x"), run("echo hi # curl -k https://x")),
    ("DF041", run("curl -k https://x"), f"{BASE}\nRUN echo a && \\\n# curl -k https://x\n  echo b"),
    (
        "DF042",
        f"{BASE}\nADD https://x/a.tgz /a.tgz",
        f"{BASE}\nADD --checksum=sha256:{'b' * 64} https://x/a.tgz /a",
    ),
    ("DF043", f"{BASE}\nADD app.py /app/", f"{BASE}\nADD rootfs.tar.gz /"),
    ("DF044", run("curl -o /a http://example.com/a"), run("curl -o /a https://example.com/a")),
    ("DF044", run("wget http://example.com/a"), run("curl http://localhost:8080/health")),
    (
        "DF045",
        run("ssh -o StrictHostKeyChecking=no git@host"),
        run("ssh -o StrictHostKeyChecking=yes git@host"),
    ),
    ("DF050", f"{BASE}\nENV DB_PASSWORD=hunter2", f"{BASE}\nENV DB_PASSWORD_FILE=/run/secrets/db"),
    ("DF050", f"{BASE}\nENV API_TOKEN abc123", f"{BASE}\nENV API_TOKEN=$API_TOKEN"),
    (
        "DF050",
        f"{BASE}\nENV DATABASE_URL=postgres://u:pw123@db/x",
        f"{BASE}\nENV DATABASE_URL=postgres://db/x",
    ),
    ("DF051", f"ARG NPM_TOKEN\n{BASE}", f"ARG NPM_VERSION\n{BASE}"),
    ("DF052", f"{BASE}\nCOPY id_rsa /root/.ssh/id_rsa", f"{BASE}\nCOPY id_rsa.pub /root/.ssh/"),
    ("DF052", f"{BASE}\nCOPY .env /app/.env", f"{BASE}\nCOPY .env.example /app/"),
    ("DF052", f"{BASE}\nCOPY server.key /etc/ssl/", f"{BASE}\nCOPY server.crt /etc/ssl/"),
    (
        "DF053",
        run("git clone https://user:s3cretpw@github.com/x/y"),
        run("git clone https://github.com/x/y"),
    ),
    (
        "DF053",
        run("curl -H 'Authorization: Bearer abcdefgh12345' https://x"),
        run('curl -H "Authorization: Bearer $TOKEN" https://x'),
    ),
    (
        "DF053",
        f"{BASE}\nCOPY <<EOF /k\n-----BEGIN RSA PRIVATE KEY-----\nEOF\n",
        f"{BASE}\nCOPY <<EOF /k\nhello\nEOF\n",
    ),
    ("DF060", run("chmod 777 /app"), run("chmod 750 /app")),
    ("DF060", run("chmod -R a+w /data"), run("chmod 1777 /tmp")),
    ("DF060", f"{BASE}\nCOPY --chmod=777 a /a", f"{BASE}\nCOPY --chmod=755 a /a"),
    ("DF061", run("mkdir -p /app/logs"), run("mkdir -p /app/logs && chmod 750 /app/logs")),
    ("DF061", run("chmod 755 /var/log/app/logs"), run("mkdir -m 700 /app/secrets")),
    ("DF062", run("chmod u+s /usr/bin/tool"), run("chmod u-s /usr/bin/tool")),
    ("DF062", run("chmod 4755 /usr/bin/tool"), run("chmod 0755 /usr/bin/tool")),
    ("DF063", f"{BASE}\nWORKDIR /root", f"{BASE}\nWORKDIR /app"),
    ("DF064", f"{BASE}\nWORKDIR app", f"{BASE}\nWORKDIR /app"),
    ("DF070", f"{BASE}\nUSER app", f'{BASE}\nHEALTHCHECK CMD ["/app/bin", "health"]'),
    ("DF070", f"{BASE}\nHEALTHCHECK NONE", f"{BASE}\nHEALTHCHECK CMD curl -f http://localhost/"),
    (
        "DF071",
        f"{BASE}\nHEALTHCHECK CMD /usr/local/bin/healthcheck.sh",
        f'{BASE}\nHEALTHCHECK CMD ["wget", "-qO-", "http://127.0.0.1:8000/health"]',
    ),
    ("DF072", f"{BASE}\nEXPOSE 22", f"{BASE}\nEXPOSE 2222"),
    ("DF072", f"{BASE}\nEXPOSE 2375/tcp", f"{BASE}\nEXPOSE 8080/tcp"),
    ("DF073", f"{BASE}\nEXPOSE 8000 9090", f"{BASE}\nEXPOSE 9090"),
    ("DF074", f"{BASE}\nEXPOSE 8080 5005", f"{BASE}\nEXPOSE 8080 5000"),
    ("DF075", f"{BASE}\nUSER app", f"{BASE}\nLABEL org.opencontainers.image.source=https://x"),
    ("DF076", f"{BASE}\nRUN --security=insecure make", f"{BASE}\nRUN --security=sandbox make"),
    ("DF077", f"{BASE}\nCMD python app.py", f'{BASE}\nCMD ["python", "app.py"]'),
    ("DF078", f'{BASE}\nCMD ["a"]\nCMD ["b"]', f'{BASE}\nCMD ["a"]\nENTRYPOINT ["b"]'),
    ("DF079", f"{BASE}\nMAINTAINER me", f"{BASE}\nLABEL maintainer=me"),
    (
        "DF081",
        run("curl -fsSL https://x | tar xz"),
        run("set -o pipefail && curl https://x | tar xz"),
    ),
    (
        "DF081",
        run("curl -fsSL https://x | tar xz"),
        f'{BASE}\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN curl https://x | tar xz',
    ),
    ("DF082", f"{BASE}\nVOLUME /var/run/docker.sock", f"{BASE}\nVOLUME /data"),
]


@pytest.mark.parametrize(
    ("rule", "bad", "good"), CASES, ids=[f"{c[0]}-{n}" for n, c in enumerate(CASES)]
)
def test_rule_fires_on_the_risk_and_not_on_the_look_alike(rule: str, bad: str, good: str) -> None:
    assert rule in fired(bad), bad
    assert rule not in fired(good), good


def test_whole_context_copy_needs_a_dockerignore() -> None:
    text = f"{BASE}\nCOPY . /app\nUSER app"
    assert "DF080" in fired(text, has_dockerignore=False)
    assert "DF080" not in fired(text, has_dockerignore=True)
    assert "DF080" not in fired(text, has_dockerignore=None)  # unknown: stdin


def test_untrusted_registry_only_when_a_trusted_list_is_configured() -> None:
    from sealtrail.dockerfile import AuditConfig

    text = "FROM quay.io/x/y:1\nUSER app"
    trusted = AuditConfig(trusted_registries=("registry.example.com",))
    assert "DF004" in {f.rule_id for f in audit_text(text, config=trusted).findings}
    assert "DF004" not in fired(text)
    ok = audit_text("FROM registry.example.com/y:1\nUSER app", config=trusted)
    assert "DF004" not in {f.rule_id for f in ok.findings}


def test_every_rule_has_a_test_case() -> None:
    tested = {c[0] for c in CASES} | {"DF004", "DF080"}
    assert set(RULES) == tested


def test_rule_severity_matches_its_cvss_band() -> None:
    for rule in RULES.values():
        if rule.score is not None:
            assert severity_of(rule.score) == rule.severity.value, rule.id


def test_rules_carry_rationale_remediation_and_standards() -> None:
    assert len(RULES) >= 30
    for rule in RULES.values():
        assert rule.rationale
        assert rule.remediation
        assert rule.title
        assert rule.nist or rule.cis or rule.hadolint, rule.id
        if rule.severity.value != "info":
            assert rule.cvss is not None, rule.id


def test_findings_carry_line_numbers_of_the_instruction() -> None:
    text = f"{BASE}\n\nRUN apt-get update && \\\n    apt-get install -y curl\nUSER app\n"
    [finding] = [f for f in audit_text(text).findings if f.rule_id == "DF020"]
    assert (finding.line, finding.end_line) == (3, 4)
