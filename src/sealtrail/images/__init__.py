"""Container images: references, a registry client, audited pulls and registry notifications."""
