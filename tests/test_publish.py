"""Versioned publishing (scripts/publish.sh, mike): each version at its own path of the gh-pages
branch, `latest` an alias, citations naming their version's address; a deploy of a version other
than CITATION.cff's is refused before anything is written."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from pipeline import provenance as pv
from tests.conftest import ROOT

GIT_ENV = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org")  # commits in a fresh repository need an identity


def test_a_citation_names_its_version():
    assert pv.site_url({"url": "https://example.org/mm", "version": "0.2.0"}) == "https://example.org/mm/0.2.0/"
    assert pv.site_url({"url": "https://example.org/mm/", "version": ""}) == "https://example.org/mm/"
    assert pv.site_url({"version": "0.2.0"}) is None
    for bad in ("../0.1", "a/b", "0 1"):
        with pytest.raises(ValueError, match="cannot name a folder"):
            pv.site_url({"url": "https://example.org/mm", "version": bad})


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=check)


@pytest.mark.slow
def test_publish_puts_each_version_at_its_own_path(quick_run, tmp_path):
    # a repository of its own (the real one's gh-pages branch is not the test's to write): its
    # mkdocs.yml and CITATION.cff, with a url, beside the real docs and code; the quick run's outputs
    repo = tmp_path / "pub"
    repo.mkdir()
    for name in ("docs", "pipeline"):
        (repo / name).symlink_to(ROOT / name)
    shutil.copy(ROOT / "mkdocs.yml", repo / "mkdocs.yml")
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    cff["url"] = "https://example.org/mm"
    (repo / "CITATION.cff").write_text(yaml.safe_dump(cff, sort_keys=False), encoding="utf-8")
    version = str(cff["version"])
    env = dict(GIT_ENV, MAKEMORE_SITE_ROOT=str(quick_run), PATH=f"{Path(sys.executable).parent}:{os.environ['PATH']}")
    _git(repo, "init", "-q", "-b", "main")
    subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "init"], cwd=repo, env=env, check=True)

    def run(*cmd):
        return subprocess.run(list(cmd), cwd=repo, env=env, capture_output=True, text=True, timeout=600)

    wrong = run("mike", "deploy", "9.9.9", "latest")
    assert wrong.returncode != 0
    assert f"CITATION.cff says version '{version}'" in wrong.stdout + wrong.stderr, wrong.stderr[-3000:]
    assert _git(repo, "rev-parse", "--verify", "-q", "gh-pages", check=False).returncode != 0, "a refused deploy wrote"

    ok = run("bash", str(ROOT / "scripts" / "publish.sh"))
    assert ok.returncode == 0, (ok.stdout + ok.stderr)[-4000:]
    # the default run makes no downloads: the site is published alone, and the script says how to make them
    assert "`snakemake -j4 downloads`" in ok.stdout, ok.stdout
    assert not _git(repo, "ls-tree", "-r", "--name-only", "gh-pages", "downloads").stdout.strip()
    versions = yaml.safe_load(_git(repo, "show", "gh-pages:versions.json").stdout)
    assert versions == [{"version": version, "title": version, "aliases": ["latest"]}]
    page = _git(repo, "show", f"gh-pages:{version}/index.html").stdout
    assert f'<link rel="canonical" href="https://example.org/mm/{version}/' in page  # the version's own address
    assert re.search(r'"version":\s*\{[^}]*"provider":\s*"mike"', page), "no version selector in the published page"
    assert "latest" in _git(repo, "show", "gh-pages:index.html").stdout  # the root sends readers to latest
    figures = _git(repo, "ls-tree", "-r", "--name-only", "gh-pages", f"{version}/figures").stdout.split()
    assert any(f.endswith(".png") for f in figures)
    first_index = _git(repo, "show", f"gh-pages:{version}/figure-index.html").stdout
    assert "fig-changed" not in first_index  # nothing published before it

    # the next version, one figure drawn differently: its index marks that figure and no other
    out = tmp_path / "outputs"
    for d in ("results", "figures", "docs/generated"):
        shutil.copytree(quick_run / d, out / d, symlinks=True)
    target = next(p for p in sorted((out / "figures").glob("*/*.png")) if p.parent.name == "kaiming")
    from PIL import Image
    with Image.open(target) as im:
        im = im.convert("RGB")
        im.putpixel((im.width // 2, im.height // 2), (255, 0, 0))
        im.save(target)
    cff["version"] = nxt = "9.0.0"
    (repo / "CITATION.cff").write_text(yaml.safe_dump(cff, sort_keys=False), encoding="utf-8")
    env["MAKEMORE_SITE_ROOT"] = str(out)
    (out / "downloads").mkdir()
    with zipfile.ZipFile(out / "downloads" / "kaiming.zip", "w") as z:  # what `snakemake downloads` makes
        z.writestr("kaiming/loss_curve.svg", "<svg/>")
    ok = run("bash", str(ROOT / "scripts" / "publish.sh"))
    assert ok.returncode == 0, (ok.stdout + ok.stderr)[-4000:]
    # the zip lands beside the version, at downloads/<version>/, committed; the worktree used is gone
    published = subprocess.run(["git", "show", f"gh-pages:downloads/{nxt}/kaiming.zip"], cwd=repo,
                               capture_output=True, check=True).stdout
    assert published == (out / "downloads" / "kaiming.zip").read_bytes()
    assert f"https://example.org/mm/downloads/{nxt}/<group>.zip" in ok.stdout, ok.stdout
    assert len(_git(repo, "worktree", "list").stdout.splitlines()) == 1
    versions = yaml.safe_load(_git(repo, "show", "gh-pages:versions.json").stdout)
    assert [(v["version"], v["aliases"]) for v in versions] == [(nxt, ["latest"]), (version, [])]
    index = _git(repo, "show", f"gh-pages:{nxt}/figure-index.html").stdout
    marked = re.findall(r'<h4 id="([^"]+)">(?:(?!</h4>).)*?class="fig-changed"', index, re.S)
    assert marked == [f"fig-kaiming-{target.stem}"], marked
    total = len(list((out / "figures").glob("*/*.png")))
    assert f"Since version {version}: 1 of {total} figures show other pixels" in index
    assert _git(repo, "show", f"gh-pages:{version}/figure-index.html").stdout == first_index  # left alone

    # the site built for file:// and plain hosting has no selector (it would fetch ../versions.json)
    # and no pixel hashes (only a published version is compared with)
    assert not (quick_run / "site" / "figures" / "pixels.json").exists()
    assert not re.search(r'"provider":\s*"mike"', (quick_run / "site" / "index.html").read_text(encoding="utf-8"))


def test_the_previous_version_is_the_newest_other_one_with_or_without_its_hashes(tmp_path):
    from pipeline.site import versions

    def commit(files: dict[str, str]) -> None:
        for rel, text in files.items():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_text(text)
        subprocess.run(["git", "add", "-A"], cwd=tmp_path, check=True)
        subprocess.run(["git", "commit", "-q", "-m", "v"], cwd=tmp_path, env=GIT_ENV, check=True)

    _git(tmp_path, "init", "-q", "-b", "gh-pages")
    assert versions.previous(tmp_path, "0.1.0") is None  # nothing published
    listed = '[{"version": "0.2.0", "aliases": ["latest"]}, {"version": "0.1.0", "aliases": []}]'
    commit({"versions.json": listed, "0.1.0/index.html": "", "0.2.0/index.html": ""})
    assert versions.previous(tmp_path, "0.3.0") == ("0.2.0", None)  # the newest, published without hashes
    commit({"0.1.0/figures/pixels.json": '{"a/b": "00"}'})
    assert versions.previous(tmp_path, "0.2.0") == ("0.1.0", {"a/b": "00"})  # redeploying 0.2.0: the one before
    assert versions.changed({"a/b": "00", "a/c": "11"}, {"a/b": "00"}) == ["a/c"]
