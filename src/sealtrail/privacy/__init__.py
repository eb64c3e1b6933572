"""Privacy: data minimisation before sealing (``policy``) and erasable personal fields
(``sealing``, ``erasure``); see docs/privacy.md."""

from sealtrail.privacy.policy import PrivacyPolicy, load_privacy_key, truncate_ip
from sealtrail.privacy.sealing import ERASED, Sealer, open_leaves

__all__ = ["ERASED", "PrivacyPolicy", "Sealer", "load_privacy_key", "open_leaves", "truncate_ip"]
