"""Stand-in for pylzy's `lzy` package, shipped as a local module by the protocol tests."""
