"""Fetch plotly.js's cartesian bundle from the npm registry into static/ and record where from.

    python deploy/update_bundle.py           # the plotly.js the installed plotly.py writes for
    python deploy/update_bundle.py 3.7.0     # a given version

The charts (app_pages/parts/charts.py) draw with the npm package plotly.js-cartesian-dist-min:
the plotly.js build with only the cartesian trace types. This reads the version's metadata from
the registry, downloads its tarball, checks the tarball against the registry's sha512
``integrity``, and writes

    static/plotly-cartesian-<version>.min.js   the bundle (the previous version's file is removed)
    static/plotly-cartesian.LICENSE.txt        its license (MIT)
    static/plotly-cartesian.json               package, version, tarball URL and integrity, the
                                               sha256 of the two files, and the trace types the
                                               bundle registers (from the package's README)

tests/test_charts.py checks the manifest against the files and against plotly.py's version.
After an update: pin plotly in requirements.txt to the minor version that writes for it, and run
tests/test_charts.py, then tests/test_browser.py and tests/test_browser_sweep.py (every chart
drawn; their screenshots in artifacts/browser/ to look at).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import re
import sys
import tarfile
import urllib.request
from pathlib import Path

PACKAGE = "plotly.js-cartesian-dist-min"
REGISTRY = "https://registry.npmjs.org"
STATIC = Path(__file__).resolve().parents[1] / "static"
MANIFEST = STATIC / "plotly-cartesian.json"
LICENSE = "plotly-cartesian.LICENSE.txt"
# the README's sentence that lists the trace types: "Contains trace modules `bar`, `box`, ... ."
TRACE_LIST = re.compile(r"Contains trace modules (.+?)\.\s*$", re.MULTILINE)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as reply:
        return reply.read()


def verified(tarball: bytes, integrity: str) -> bytes:
    """The tarball, if its digest is the registry's ``integrity`` (Subresource Integrity form)."""
    algorithm, _, expected = integrity.partition("-")
    got = base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode()
    if got != expected:
        raise SystemExit(
            f"{PACKAGE}: the tarball's {algorithm} is {got}, the registry says {expected}"
        )
    return tarball


def unpack(tarball: bytes) -> dict[str, bytes]:
    """The package's files by name (npm tarballs hold them under package/)."""
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        return {
            m.name.removeprefix("package/"): tar.extractfile(m).read() for m in tar if m.isfile()
        }


def traces(readme: str) -> list[str]:
    found = TRACE_LIST.search(readme)
    if not found:
        raise SystemExit(
            f"{PACKAGE}: its README no longer lists the trace modules; read it by hand"
        )
    return sorted(re.findall(r"`(\w+)`", found.group(1)))


def update(version: str) -> dict:
    """Download ``version`` into static/ and write the manifest; returns the manifest."""
    meta = json.loads(fetch(f"{REGISTRY}/{PACKAGE}/{version}"))
    dist = meta["dist"]
    files = unpack(verified(fetch(dist["tarball"]), dist["integrity"]))
    bundle = f"plotly-cartesian-{version}.min.js"
    for old in STATIC.glob("plotly-cartesian-*.min.js"):
        old.unlink()
    (STATIC / bundle).write_bytes(files[meta["main"]])
    (STATIC / LICENSE).write_bytes(files["LICENSE"])
    manifest = {
        "package": PACKAGE,
        "version": version,
        "tarball": dist["tarball"],
        "integrity": dist["integrity"],
        "bundle": bundle,
        "bundle_sha256": sha256(files[meta["main"]]),
        "license": LICENSE,
        "license_sha256": sha256(files["LICENSE"]),
        "traces": traces(files["README.md"].decode("utf-8")),
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("version", nargs="?", help="default: the one plotly.py writes for")
    args = parser.parse_args(argv)
    if args.version is None:
        from plotly.offline import get_plotlyjs_version

        args.version = get_plotlyjs_version()
    manifest = update(args.version)
    print(
        f"static/{manifest['bundle']}: {PACKAGE} {args.version}, sha256 {manifest['bundle_sha256']}"
    )


if __name__ == "__main__":
    sys.exit(main())
