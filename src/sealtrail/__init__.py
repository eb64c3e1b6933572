"""sealtrail: a sealed, verifiable audit trail for software supply chains."""
