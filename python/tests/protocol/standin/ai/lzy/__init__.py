"""Stand-in for pylzy's generated `ai` package, shipped as a local module by the protocol tests."""
