"""sealtrail: a sealed, verifiable audit trail for software supply chains."""

from sealtrail.client import Client
from sealtrail.ledger.log import Ledger
from sealtrail.loghandler import SealtrailHandler
from sealtrail.shipping import Shipper

__all__ = ["Client", "Ledger", "SealtrailHandler", "Shipper"]
