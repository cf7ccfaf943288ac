"""Generate the site's pages from the pipeline's outputs (pages), execute a companion notebook
(notebook), draw the pipeline graph (dag), or render the site with MkDocs (build). Run from the
directory holding results/ and figures/ (--root)."""

from __future__ import annotations

NAME = "site"
HELP = "the teaching site: pages, notebooks, pipeline graph, mkdocs build"


def add_arguments(p) -> None:
    p.add_argument("what", choices=["pages", "notebook", "dag", "build"])
    p.add_argument("--root", default=".", help="the pipeline's working directory (default: .)")
    p.add_argument("--configfile", nargs="+", default=["config.yaml"], help="config files, later override earlier")
    p.add_argument("--out", default=None, help="pages: output directory (default docs/generated/content); "
                                               "notebook: the .ipynb; dag: output directory")
    p.add_argument("--src", help="notebook: the jupytext .py source")
    p.add_argument("--snakefile", default="Snakefile", help="dag: the workflow to draw")
    p.add_argument("--config-file", default="mkdocs.yml", help="build: the MkDocs config")
    p.add_argument("--site-dir", default="site", help="build: where the site goes")
    p.add_argument("--no-strict", action="store_true", help="build: let warnings pass")
    p.add_argument("--claims", choices=["strict", "warn"], default=None,
                   help="pages: a claim its data contradicts fails the step (strict) or is marked on its page "
                        "(warn); default: the config's `claims`")


def run(a) -> int | None:
    from pipeline import site
    if a.what == "pages":
        written, book = site.write_pages(site.load_cfg(a.configfile), root=a.root, out=a.out, claims=a.claims)
        print(f"wrote {len(written)} files under {a.out or 'docs/generated/content'}")
        print(book.summary())
        for c in book.failed():  # warn: published marked in red; say which
            print(f"warning: claim {c.number}: {c.line()}")
    elif a.what == "notebook":
        site.execute_notebook(a.src, a.out, cwd=a.root)
        print(f"executed {a.src} -> {a.out}")
    elif a.what == "dag":
        site.render_dag(a.snakefile, a.configfile, a.out, workdir=a.root)
        print(f"wrote the pipeline graphs to {a.out}")
    elif a.what == "build":
        return site.build(a.config_file, a.site_dir, root=a.root, strict=not a.no_strict)  # mkdocs' exit status
    return None
