"""plots_offline: `dvc plots show|diff` whose HTML works without internet (Vega inlined, not from a CDN).

    python -m commands.plots_offline show [-o dvc_plots] [other `dvc plots show` args]
    python -m commands.plots_offline diff main [-o dvc_plots]

`dvc plots show` writes HTML that loads vega, vega-lite and vega-embed from cdn.jsdelivr.net, so offline
(air-gapped machines, headless browsers in CI sandboxes) the page stays blank. DVC accepts a page template
(`--html-template`, or the `plots.html_template` config) in which `{plot_divs}` marks where the plots go.
This builds such a template once, with the exact script versions the installed dvc-render asks for,
taken from the npm registry (`npm pack`), into .dvc/tmp/vega-offline.html (not committed), then runs DVC.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from dvc_render.vega import VegaRenderer

TEMPLATE = Path(".dvc/tmp/vega-offline.html")
PAGE = """<!DOCTYPE html>
<html>
<head>
    <meta charset="utf-8">
    <title>DVC Plot</title>
{scripts}
    <style>table {{ border-spacing: 15px; }}</style>
</head>
<body>
    {{plot_divs}}
</body>
</html>
"""


def cdn_packages() -> list[tuple[str, str]]:
    """(package, version) for each CDN script the installed dvc-render puts in its HTML."""
    return re.findall(r"cdn\.jsdelivr\.net/npm/([a-z-]+)@([\d.]+)", VegaRenderer.SCRIPTS)


def build_template(path: Path = TEMPLATE) -> Path:
    scripts = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, version in cdn_packages():
            proc = subprocess.run(
                ["npm", "pack", "--silent", f"{name}@{version}"], cwd=tmp, capture_output=True, text=True
            )
            if proc.returncode != 0:
                sys.exit(f"error: plots_offline: `npm pack {name}@{version}` failed: {proc.stderr.strip()[-200:]}")
            with tarfile.open(Path(tmp) / proc.stdout.strip().splitlines()[-1]) as tar:
                js = tar.extractfile(f"package/build/{name}.min.js").read().decode("utf8")
            # "</script" inside inlined code would end the script element early
            js = js.replace("</script", "<\\/script")
            scripts.append(f"<script>/* {name}@{version} */\n{js}\n</script>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(PAGE.format(scripts="\n".join(scripts)), encoding="utf8")
    return path


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in ("show", "diff"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    template = TEMPLATE if TEMPLATE.is_file() else build_template()
    cmd = [sys.executable, "-m", "dvc", "plots", args[0], "--html-template", str(template.resolve()), *args[1:]]
    return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())
