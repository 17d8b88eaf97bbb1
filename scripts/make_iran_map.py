"""Writes hq/static/iran-provinces.svg: the outlines of Iran's 31 provinces, one element each with
its Persian name in `data-province`, for the HQ dashboard's map (F4).

The outlines come from the npm package react-iran-map 0.1.3 (MIT, (c) 2023 Sima Mojtahedi), whose
React component carries them; this keeps only the named province shapes (no labels, no React) and
writes the package's licence beside the SVG. Run once when the source changes:

    python scripts/make_iran_map.py        # needs npm and the network
"""

from __future__ import annotations

import re
import subprocess
import tarfile
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

PACKAGE = "react-iran-map@0.1.3"
SOURCE = "package/dist/esm/components/mapSvg/IranMapWrapper.js"
OUT = Path(__file__).resolve().parent.parent / "hq" / "static"


def shapes(js: str) -> list[tuple[str, str, str]]:
    """(element, Persian name, geometry) of every named province: paths carry `d`, polygons `points`."""
    out = []
    for chunk in js.split("React.createElement(")[1:]:  # one element's call each (its handlers hold braces)
        head = re.match(r'"(path|polygon)", \{', chunk)
        if not head:
            continue
        kind, attrs = head.group(1), chunk
        name = re.search(r'"data-name": \'([^\']*)\'', attrs)
        geometry = re.search(r"\b(d|points): '([^']*)'", attrs)
        if name and geometry:
            text = name.group(1).encode().decode("unicode_escape")
            plain = geometry.group(2).replace("\\r", " ").replace("\\n", " ")  # the JS string's escaped line breaks
            out.append((kind, text, " ".join(plain.split())))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", "--silent", PACKAGE], cwd=tmp, check=True, capture_output=True)
        [tgz] = Path(tmp).glob("*.tgz")
        with tarfile.open(tgz) as tar:
            js = tar.extractfile(SOURCE).read().decode("utf-8")
            licence = tar.extractfile("package/LICENSE").read().decode("utf-8")
    found = shapes(js)
    if len({name for _, name, _ in found}) != 31:
        raise SystemExit(f"expected Iran's 31 provinces, found {len(found)}")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             f"<!-- Iran's provinces, from {PACKAGE} (MIT, see iran-provinces.LICENSE); "
             "written by scripts/make_iran_map.py -->",
             '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1080 1080">']
    for kind, name, geometry in found:
        attr = "d" if kind == "path" else "points"
        lines.append(f"<{kind} data-province={quoteattr(name)} {attr}={quoteattr(geometry)}/>")
    lines.append("</svg>")
    (OUT / "iran-provinces.svg").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (OUT / "iran-provinces.LICENSE").write_text(f"The province outlines in iran-provinces.svg come from the npm "
                                               f"package {PACKAGE}:\n\n{licence}", encoding="utf-8")
    print(f"wrote {OUT / 'iran-provinces.svg'} ({len(found)} provinces)")


if __name__ == "__main__":
    main()
