"""Exports and forwarders: the trail leaves sealtrail verifiably, and loses nothing on the way."""
