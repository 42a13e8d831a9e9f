"""Stand-in of pylzy 1.0.1's `lzy` package (python-client-protocol.md §5), written from the spec.

The protocol tests ship it as a local module exactly as the unchanged client ships its own `lzy`
(§4.2): the worker must install it into the op environment's first site-packages for the start-up
command (§4.4) to find `lzy/api/v1/startup.py`.
"""
