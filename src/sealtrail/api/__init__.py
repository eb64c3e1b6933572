"""The HTTP API and web console: thin routes over the library."""
