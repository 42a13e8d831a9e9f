"""Downloads one wheel of a PyPI release and checks its sha256 (used by docker/Dockerfile).

usage: fetch-wheel.py <project> <version> <platform tag substring> <output path>

Only the standard library: the build stage has Debian's python3 and nothing else. The index is
PyPI's simple API in its JSON form (PEP 691); SSL_CERT_FILE may name the CA bundle.
"""

import hashlib
import json
import sys
import urllib.request


def main() -> None:
    project, version, platform, out = sys.argv[1:5]
    request = urllib.request.Request(
        f"https://pypi.org/simple/{project}/",
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        index = json.load(response)
    prefix = f"{project.replace('-', '_')}-{version}-"
    wheels = [
        f
        for f in index["files"]
        if f["filename"].startswith(prefix)
        and f["filename"].endswith(".whl")
        and platform in f["filename"]
    ]
    if not wheels:
        sys.exit(f"no {platform} wheel of {project} {version} on PyPI")
    wheel = wheels[0]
    with urllib.request.urlopen(wheel["url"], timeout=300) as response:
        data = response.read()
    digest = hashlib.sha256(data).hexdigest()
    if digest != wheel["hashes"]["sha256"]:
        sys.exit(f"{wheel['filename']}: sha256 {digest} differs from PyPI's")
    with open(out, "wb") as f:
        f.write(data)
    print(f"{wheel['filename']} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
