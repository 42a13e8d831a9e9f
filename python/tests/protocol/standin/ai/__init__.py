"""Stand-in of pylzy's generated `ai` package, shipped as a local module like the real one."""
