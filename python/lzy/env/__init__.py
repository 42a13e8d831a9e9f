"""Op environments: conda-style YAML, pinned libraries, local modules (§4.2, §4.5)."""
