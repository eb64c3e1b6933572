"""The rule catalog: every rule's id, title, severity, CVSS vector, CIS and NIST references.

Ids are stable once released (``DF`` + three digits, grouped by tens: base image 00x, users 01x,
packages 02x-03x, downloads 04x, secrets 05x, permissions 06x, runtime 07x-08x). CIS items are
from the CIS Docker Benchmark section 4 ("Container Images and Build File"); NIST references are
SP 800-190 sections and SP 800-53 rev. 5 controls.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from sealtrail.dockerfile.model import Rule, Severity

__all__ = ["CIS_ITEMS", "RULES", "rule"]

H, M, L, I = Severity.HIGH, Severity.MEDIUM, Severity.LOW, Severity.INFO  # noqa: E741
V = "CVSS:3.1/"

CIS_ITEMS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "4.1": "Ensure that a user for the container has been created",
        "4.2": "Ensure that containers use only trusted base images",
        "4.3": "Ensure that unnecessary packages are not installed in the container",
        "4.4": "Ensure images are scanned and rebuilt to include security patches",
        "4.5": "Ensure Content trust for Docker is enabled",
        "4.6": "Ensure that HEALTHCHECK instructions have been added to container images",
        "4.7": "Ensure update instructions are not used alone in the Dockerfile",
        "4.8": "Ensure setuid and setgid permissions are removed",
        "4.9": "Ensure that COPY is used instead of ADD in Dockerfiles",
        "4.10": "Ensure secrets are not stored in Dockerfiles",
        "4.11": "Ensure only verified packages are installed",
        "4.12": "Ensure all signed artifacts are validated",
    }
)
_S190_IMAGE_VULNS = "SP 800-190 4.1.1"
_S190_CONFIG = "SP 800-190 4.1.2"
_S190_SECRETS = "SP 800-190 4.1.4"
_S190_UNTRUSTED = "SP 800-190 4.1.5"

# checkov's checks of disabled package signatures and of disabled TLS verification
_CKV_SIGNATURES = tuple(f"CKV2_DOCKER_{n}" for n in (7, 8, 9, 10, 11))
_CKV_TLS = tuple(f"CKV2_DOCKER_{n}" for n in (2, 3, 4, 5, 6, 12, 13, 14, 15, 16))

_PIN = (
    "Unpinned packages install whatever the index serves on the day of the build: builds stop "
    "being reproducible and a compromised or broken release slips in unnoticed."
)
_PIN_FIX = "Pin each package to an exact version, or install from a lock file with hashes."


def _pin(rid: str, tool: str, example: str, hadolint: tuple[str, ...]) -> Rule:
    return Rule(
        rid,
        f"{tool} packages installed without pinned versions",
        L,
        _PIN,
        f"{_PIN_FIX} ({example}).",
        V + "AV:N/AC:H/PR:H/UI:R/S:U/C:N/I:L/A:N",
        (),
        ("SP 800-53 CM-2", "SP 800-53 SR-4", _S190_IMAGE_VULNS),
        hadolint,
    )


_ALL = (
    # --- base image
    Rule("DF001", "Base image not pinned by digest", L,
         "A tag can be moved to other content at any time; only a digest names exactly what is "
         "built upon.",
         "Pin the image by digest: FROM python:3.12-slim@sha256:<digest> (keep the tag for "
         "readers, let a bot update both).",
         V + "AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:L/A:N", ("4.2",),
         ("SP 800-53 CM-2", "SP 800-53 SI-7", _S190_UNTRUSTED)),
    Rule("DF002", "Base image uses the latest tag or no tag", M,
         "'latest' (or no tag, which means latest) changes under the build without notice: a "
         "rebuild can pull a different operating system or a compromised image.",
         "Use an explicit version tag, better a digest.",
         V + "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:H/A:N", ("4.2",),
         ("SP 800-53 CM-2", _S190_UNTRUSTED), ("DL3006", "DL3007"), ("CKV_DOCKER_7",)),
    Rule("DF003", "FROM --platform fixed to one platform", I,
         "A hard-coded platform builds an emulated image on other hosts and hides which image "
         "is really used.",
         "Drop --platform or use a build argument such as $BUILDPLATFORM or $TARGETPLATFORM.",
         None, (), ("SP 800-53 CM-2",), ("DL3029",)),
    Rule("DF004", "Base image from a registry that is not trusted", M,
         "Images from registries outside the organisation's trusted list have not been vetted "
         "and may be replaced by their publisher at any time.",
         "Mirror the image into a trusted registry, or add the registry to the trusted list "
         "after review.",
         V + "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:H/A:N", ("4.2",),
         ("SP 800-53 SR-3", _S190_UNTRUSTED)),
    Rule("DF005", "Stage alias used twice", I,
         "Two stages with one name make COPY --from ambiguous: the later one silently wins.",
         "Give every stage a unique name.", None, (), ("SP 800-53 CM-2",), ("DL3024",),
         checkov=("CKV_DOCKER_11",)),
    # --- users and privileges
    Rule("DF010", "Final image switches back to root", H,
         "A process running as root in the container is root on the host's kernel; any escape "
         "or writable host mount gives full control.",
         "End the final stage with USER <unprivileged name or uid>; switch to root only for "
         "the steps that need it.",
         V + "AV:L/AC:H/PR:L/UI:N/S:C/C:H/I:H/A:H", ("4.1",),
         ("SP 800-53 AC-6", _S190_CONFIG), ("DL3002",), ("CKV_DOCKER_8",)),
    Rule("DF014", "Final image has no USER: runs as root", H,
         "Without a USER instruction the container runs as the base image's user, root for "
         "nearly every base image: the same exposure as an explicit USER root.",
         "Create an unprivileged user and end the final stage with USER <name or uid>.",
         V + "AV:L/AC:H/PR:L/UI:N/S:C/C:H/I:H/A:H", ("4.1",),
         ("SP 800-53 AC-6", _S190_CONFIG), (), ("CKV_DOCKER_3",)),
    Rule("DF011", "sudo used in a build step", M,
         "Build steps already run as the current USER; sudo hides privilege changes, and a "
         "sudo binary left in the image is a local privilege-escalation path.",
         "Switch with USER root for the step and back to the unprivileged user afterwards.",
         V + "AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L", ("4.1",), ("SP 800-53 AC-6",),
         ("DL3004",),
         checkov=("CKV2_DOCKER_1",)),
    Rule("DF012", "Passwordless sudo or sudo group granted", H,
         "An account that may run anything as root without a password turns every compromise "
         "of the application into root.",
         "Do not configure sudo in images; run as an unprivileged user with no sudo rights.",
         V + "AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", ("4.1",), ("SP 800-53 AC-6",)),
    Rule("DF013", "Account password set in the image", H,
         "A password set at build time is in the image history for everyone who can pull it, "
         "and is the same in every container.",
         "Lock accounts (usermod -L, or useradd without a password); inject credentials at "
         "run time from a secret store.",
         V + "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", ("4.10",),
         ("SP 800-53 IA-5", _S190_SECRETS),
         checkov=("CKV2_DOCKER_17",)),
    # --- packages
    _pin("DF020", "apt-get", "apt-get install -y curl=7.88.1-10+deb12u6", ("DL3008",)),
    _pin("DF021", "apk", "apk add curl=8.5.0-r0", ("DL3018",)),
    _pin("DF022", "dnf/yum/zypper", "dnf install -y httpd-2.4.57", ("DL3033", "DL3037", "DL3041")),
    _pin("DF023", "pip", "pip install -r requirements.txt --require-hashes, or pkg==1.2.3",
         ("DL3013",)),
    _pin("DF024", "npm/yarn", "npm ci, or npm install pkg@1.2.3", ("DL3016",)),
    _pin("DF025", "gem", "gem install rails -v 7.1.3", ("DL3028",)),
    _pin("DF026", "go install", "go install example.com/tool@v1.2.3", ("DL3062",)),
    Rule("DF027", "Package index updated in its own step", L,
         "An update alone in one layer is cached: later installs use a stale index and miss "
         "security fixes (or fail when the mirror has moved on).",
         "Update and install in the same RUN: apt-get update && apt-get install -y ...",
         V + "AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:L/A:N", ("4.7",),
         ("SP 800-53 SI-2", _S190_IMAGE_VULNS), (), ("CKV_DOCKER_5",)),
    Rule("DF028", "apt-get dist-upgrade in a build", L,
         "dist-upgrade may change the distribution release under the image and install or "
         "remove packages unpredictably.",
         "Use a newer base image; at most apt-get upgrade for security fixes.",
         V + "AV:N/AC:H/PR:H/UI:R/S:U/C:N/I:L/A:L", ("4.7",), ("SP 800-53 CM-2",)),
    Rule("DF029", "Package removal command that removes nothing", M,
         "A remove/purge with no package names does nothing: the build tools it was meant to "
         "remove stay in the image and widen its attack surface.",
         "Name the packages to remove (or install them as a virtual group and delete that), "
         "then verify they are gone; better, build them in a separate stage.",
         V + "AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:L/A:L", ("4.3",),
         ("SP 800-53 CM-7", _S190_CONFIG)),
    Rule("DF030", "Build tools left in the final image", M,
         "Compilers and build tools in the runtime image let an attacker build and run their "
         "own tools, and add packages that need patching.",
         "Build in an earlier stage and COPY --from=builder only the artefacts; or remove the "
         "tools in the same RUN that installed them.",
         V + "AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:L/A:L", ("4.3",),
         ("SP 800-53 CM-7", _S190_CONFIG)),
    Rule("DF031", "Package signature verification disabled", H,
         "Installing unsigned or unverified packages lets anyone on the network path or a "
         "compromised mirror replace them.",
         "Remove --allow-unauthenticated/--force-yes/--allow-untrusted/--nogpgcheck/"
         "--nosignature and import the repository's signing key instead.",
         V + "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", ("4.11", "4.12"),
         ("SP 800-53 SI-7", "SP 800-53 SR-4", _S190_IMAGE_VULNS),
         checkov=_CKV_SIGNATURES),
    Rule("DF032", "SSH server installed in the image", M,
         "An SSH daemon in a container adds a remote login surface and keys to manage; use "
         "docker exec or kubectl exec instead.",
         "Remove openssh-server/dropbear from the image.",
         V + "AV:N/AC:H/PR:L/UI:N/S:U/C:L/I:L/A:L", ("4.3",), ("SP 800-53 CM-7",)),
    # --- downloads
    Rule("DF040", "Remote script piped into an interpreter", H,
         "curl | sh runs whatever the server (or anyone in the path) sends, unverified, as the "
         "build user.",
         "Download to a file, verify its checksum or signature, then run it.",
         V + "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", ("4.11",),
         ("SP 800-53 SI-7", "SP 800-53 SR-4", _S190_IMAGE_VULNS)),
    Rule("DF041", "TLS certificate verification disabled", H,
         "Turning off certificate checks lets anyone on the network path serve their own "
         "content to the build or the running service.",
         "Remove -k/--insecure, --no-check-certificate, --trusted-host, strict-ssl false, "
         "NODE_TLS_REJECT_UNAUTHORIZED=0 ...; add the CA certificate instead.",
         V + "AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:N", ("4.11",),
         ("SP 800-53 SC-8", "SP 800-53 SC-23", _S190_CONFIG),
         checkov=_CKV_TLS),
    Rule("DF042", "ADD from a remote URL without a checksum", M,
         "ADD fetches the URL at build time and uses whatever it returns; nothing checks it.",
         "Use ADD --checksum=sha256:<digest> <url>, or RUN curl and verify with sha256sum.",
         V + "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:H/A:N", ("4.9",),
         ("SP 800-53 SI-7",), (), ("CKV_DOCKER_4",)),
    Rule("DF043", "ADD used for local files", L,
         "ADD silently unpacks archives and fetches URLs; COPY does only what it says.",
         "Use COPY for files and directories; keep ADD for archives to unpack.",
         V + "AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:L/A:N", ("4.9",), ("SP 800-53 CM-7",),
         ("DL3020",), ("CKV_DOCKER_4",)),
    Rule("DF044", "Download over plain HTTP", M,
         "Plain HTTP downloads can be read and replaced by anyone on the network path.",
         "Use https:// URLs, and verify a checksum of what is downloaded.",
         V + "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:H/A:N", ("4.11",), ("SP 800-53 SC-8",)),
    Rule("DF045", "SSH host key checking disabled", M,
         "StrictHostKeyChecking=no accepts any server key, so a man in the middle can serve the "
         "repository.",
         "Add the host's known key (ssh-keyscan once, verified, committed to known_hosts).",
         V + "AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:H/A:N", ("4.11",), ("SP 800-53 SC-8",)),
    # --- secrets
    Rule("DF050", "Secret in an ENV instruction", H,
         "ENV values are stored in the image configuration and shown by docker inspect to "
         "anyone who can pull the image.",
         "Pass secrets at run time (orchestrator secrets, files under /run/secrets); at build "
         "time use RUN --mount=type=secret.",
         V + "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", ("4.10",),
         ("SP 800-53 IA-5", "SP 800-53 SC-28", _S190_SECRETS), ("DL3064",)),
    Rule("DF051", "Secret passed as a build argument", M,
         "Build arguments are recorded in the image history (docker history) of every layer "
         "that uses them.",
         "Use RUN --mount=type=secret,id=... and docker build --secret instead of ARG.",
         V + "AV:N/AC:H/PR:L/UI:N/S:U/C:H/I:N/A:N", ("4.10",),
         ("SP 800-53 IA-5", _S190_SECRETS), ("DL3064",)),
    Rule("DF052", "Key or credential file copied into the image", H,
         "A private key, .env, .npmrc or cloud credential file copied into a layer stays in "
         "the image even if a later step deletes it.",
         "Keep credentials out of the build context (.dockerignore) and mount them with "
         "RUN --mount=type=secret when a build step needs them.",
         V + "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", ("4.10",),
         ("SP 800-53 IA-5", "SP 800-53 SC-28", _S190_SECRETS)),
    Rule("DF053", "Credential written literally in a build step", H,
         "A token, password or private key written in a RUN command or heredoc is in the "
         "Dockerfile, the build logs and the image history.",
         "Read it from a build secret (RUN --mount=type=secret) and never echo it.",
         V + "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", ("4.10",),
         ("SP 800-53 IA-5", _S190_SECRETS)),
    # --- permissions and paths
    Rule("DF060", "World-writable permissions", M,
         "Files or directories writable by every user let any process in the container change "
         "code, configuration or logs.",
         "Grant write access only to the owning user (e.g. chmod 750 or 640); use 1777 only for "
         "temporary directories.",
         V + "AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:H/A:N", (), ("SP 800-53 AC-3", _S190_CONFIG)),
    Rule("DF061", "Sensitive directory readable by other users", M,
         "Log, secret and key directories left at the default 755 can be read by every "
         "account in the container: information disclosure and log tampering.",
         "Restrict them: chmod 750 for logs, 700 for secrets and keys (or mkdir -m).",
         V + "AV:L/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:N", (), ("SP 800-53 AC-3", "SP 800-53 AU-9")),
    Rule("DF062", "setuid or setgid bit set", M,
         "setuid/setgid binaries run with their owner's privileges: a classic escalation path "
         "from an application compromise to root.",
         "Do not add setuid/setgid bits; remove existing ones: find / -perm /6000 -type f "
         "-exec chmod a-s {} +",
         V + "AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:L", ("4.8",), ("SP 800-53 AC-6",)),
    Rule("DF063", "WORKDIR in a system directory", L,
         "An application working in /, /root, /etc or a bin directory writes next to system "
         "files and often needs root to do it.",
         "Use a dedicated directory such as /app owned by the application user.",
         V + "AV:L/AC:H/PR:H/UI:R/S:U/C:N/I:L/A:N", (), ("SP 800-53 CM-6",)),
    Rule("DF064", "Relative WORKDIR", I,
         "A relative WORKDIR depends on every earlier WORKDIR and on the base image.",
         "Use absolute paths in WORKDIR.", None, (), ("SP 800-53 CM-6",), ("DL3000",),
         checkov=("CKV_DOCKER_10",)),
    # --- runtime configuration
    Rule("DF070", "No HEALTHCHECK in the final image", L,
         "Without a health check the runtime cannot tell a hung or compromised service from a "
         "healthy one.",
         "Add HEALTHCHECK CMD with a cheap in-process probe of the service.",
         V + "AV:N/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:L", ("4.6",), ("SP 800-53 SI-4",), (),
         ("CKV_DOCKER_2",)),
    Rule("DF071", "HEALTHCHECK delegated to an external script", L,
         "A health check that runs a separate script depends on a file that can be changed or "
         "replaced in the container, and hides what is checked.",
         "Probe an internal health endpoint directly (HEALTHCHECK CMD [\"/app/bin\", "
         "\"healthcheck\"] or an HTTP probe), and keep the script read-only and root-owned if "
         "it must stay.",
         V + "AV:L/AC:H/PR:H/UI:N/S:U/C:L/I:L/A:N", ("4.6",), ("SP 800-53 SI-4",)),
    Rule("DF072", "Remote administration port exposed", M,
         "SSH, telnet, RDP, VNC or the Docker API exposed from a container is a remote control "
         "surface beside the service.",
         "Do not expose administration ports; use the orchestrator's exec and port-forward.",
         V + "AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:L/A:N", ("4.3",), ("SP 800-53 CM-7",), (),
         ("CKV_DOCKER_1",)),
    Rule("DF073", "Metrics port exposed beside the service port", L,
         "A metrics endpoint published next to the service discloses internals (versions, "
         "paths, load) to whoever can reach the service.",
         "Keep metrics on an internal network or behind authentication; do not publish the "
         "port outside the cluster.",
         V + "AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N", (), ("SP 800-53 SC-7", "SP 800-53 CM-7")),
    Rule("DF074", "Debugger port exposed", M,
         "A debugger port (JDWP, Node inspector, debugpy, delve, pprof) gives code execution or "
         "memory access to whoever reaches it.",
         "Remove debugger agents and their ports from production images.",
         V + "AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:L", ("4.3",), ("SP 800-53 CM-7",)),
    Rule("DF075", "No image metadata labels", I,
         "Without OCI labels (source, revision, vendor) nobody can trace a running image back "
         "to the code and the people responsible.",
         "Add LABEL org.opencontainers.image.source=... org.opencontainers.image.revision=...",
         None, (), ("SP 800-53 CM-8",)),
    Rule("DF076", "Build step runs with --security=insecure", M,
         "An insecure build step runs without the sandbox, with full privileges on the build "
         "host.",
         "Remove --security=insecure; do the privileged work outside the image build.",
         V + "AV:L/AC:H/PR:L/UI:N/S:C/C:L/I:L/A:L", (), ("SP 800-53 AC-6",)),
    Rule("DF077", "CMD or ENTRYPOINT in shell form", I,
         "Shell form runs the process under /bin/sh -c: it does not receive SIGTERM and stops "
         "only when killed.",
         "Use the JSON form: CMD [\"executable\", \"arg\"].",
         None, (), ("SP 800-53 CM-6",), ("DL3025",)),
    Rule("DF078", "Several CMD, ENTRYPOINT or HEALTHCHECK in one stage", I,
         "Only the last one takes effect; the others mislead readers and reviewers.",
         "Keep one of each per stage.", None, (), ("SP 800-53 CM-6",),
         ("DL4003", "DL4004", "DL3012")),
    Rule("DF079", "MAINTAINER is deprecated", I,
         "MAINTAINER is not kept in the OCI image configuration.",
         "Use LABEL org.opencontainers.image.authors=...", None, (), (), ("DL4000",),
         checkov=("CKV_DOCKER_6",)),
    Rule("DF080", "Whole build context copied without a .dockerignore", L,
         "COPY . copies everything next to the Dockerfile (.git, .env, keys) into a layer "
         "unless a .dockerignore excludes it.",
         "Add a .dockerignore (deny by default, allow what the build needs) or copy named "
         "paths.",
         V + "AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", ("4.10",), (_S190_SECRETS,)),
    Rule("DF081", "Pipe without pipefail", I,
         "In sh a pipeline's status is its last command's: a failed download piped into tar "
         "or a shell does not fail the build.",
         "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"] before RUN steps with pipes.",
         None, (), ("SP 800-53 SI-7",), ("DL4006",)),
    Rule("DF082", "Docker socket in the image", H,
         "Whoever can talk to the Docker socket controls the host: a VOLUME or path for "
         "docker.sock invites mounting it.",
         "Never mount the Docker socket into application containers.",
         V + "AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", (), ("SP 800-53 AC-6", _S190_CONFIG)),
)  # fmt: skip

RULES: Final[Mapping[str, Rule]] = MappingProxyType({r.id: r for r in _ALL})


def rule(rule_id: str) -> Rule:
    """The rule with this id; KeyError for an unknown id is a bug in a check."""
    return RULES[rule_id]
