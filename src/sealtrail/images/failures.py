"""What can go wrong when an image is fetched, each with the short ``kind`` a pull event records.

SealtrailError
└── RegistryError              the registry answered something unusable   kind registry_error
    ├── RegistryUnreachable    no connection (refused, reset, DNS)        kind unreachable
    │   └── RegistryTimeout    no answer in time                          kind timeout
    ├── RegistryDenied         (also Denied) 401/403, no token            kind auth_denied
    ├── ImageNotFound          (also NotFound) no such name, tag, digest  kind not_found
    ├── PlatformNotFound       (also NotFound) the index lacks a platform kind platform_not_found
    └── DigestMismatch         (also VerificationError) content differs   kind digest_mismatch
"""

from __future__ import annotations

from sealtrail.errors import Denied, NotFound, SealtrailError, VerificationError

__all__ = [
    "DigestMismatch",
    "ImageNotFound",
    "PlatformNotFound",
    "RegistryDenied",
    "RegistryError",
    "RegistryTimeout",
    "RegistryUnreachable",
]


class RegistryError(SealtrailError):
    """The registry answered, but not with what was asked for."""

    kind = "registry_error"


class RegistryUnreachable(RegistryError):
    """The registry could not be reached: connection refused or reset, no such host."""

    kind = "unreachable"


class RegistryTimeout(RegistryUnreachable):
    """The registry did not answer in time."""

    kind = "timeout"


class RegistryDenied(RegistryError, Denied):
    """The registry refused the credentials, or there were none and it wants some."""

    kind = "auth_denied"


class ImageNotFound(RegistryError, NotFound):
    """The registry has no such repository, tag or manifest."""

    kind = "not_found"


class PlatformNotFound(RegistryError, NotFound):
    """The image exists, but its index has no manifest for the platform asked for."""

    kind = "platform_not_found"


class DigestMismatch(RegistryError, VerificationError):
    """Content received is not the content its digest names."""

    kind = "digest_mismatch"

    def __init__(self, message: str) -> None:
        VerificationError.__init__(self, message, reason="digest_mismatch")
