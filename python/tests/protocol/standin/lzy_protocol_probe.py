"""A plain local module (a file): importable only through LOCAL_MODULES (§4.5)."""

INCREMENT = 1
