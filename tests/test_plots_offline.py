"""Offline plots page: the template DVC fills must carry the scripts inline and keep DVC's placeholder."""

import io
import subprocess
import tarfile
from pathlib import Path

from commands import plots_offline


def test_versions_come_from_the_installed_dvc_render():
    names = [name for name, _ in plots_offline.cdn_packages()]
    assert names == ["vega", "vega-lite", "vega-embed"]
    assert all(version[0].isdigit() for _, version in plots_offline.cdn_packages())


def test_template_inlines_each_package(tmp_path, monkeypatch):
    def fake_npm_pack(cmd, cwd, **kwargs):  # what `npm pack name@version` leaves: name-version.tgz
        name, version = cmd[-1].rsplit("@", 1)
        code = f"window.{name.replace('-', '_')} = '{version}'; var s = '</script>';".encode()
        tgz = Path(cwd) / f"{name}-{version}.tgz"
        with tarfile.open(tgz, "w:gz") as tar:
            info = tarfile.TarInfo(f"package/build/{name}.min.js")
            info.size = len(code)
            tar.addfile(info, io.BytesIO(code))
        return subprocess.CompletedProcess(cmd, 0, stdout=f"{tgz.name}\n", stderr="")

    monkeypatch.setattr(plots_offline.subprocess, "run", fake_npm_pack)
    page = plots_offline.build_template(tmp_path / "offline.html").read_text()
    assert page.count("<script>") == 3 and "window.vega_embed" in page
    assert "{plot_divs}" in page and "{scripts}" not in page  # DVC puts the plots here, adds no CDN tags
    assert "'<\\/script>'" in page and "cdn.jsdelivr" not in page
