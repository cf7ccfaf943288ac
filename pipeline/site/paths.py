"""Where a site build finds what it mounts: the repository (mkdocs.yml, docs/) and the run's working
directory ($MAKEMORE_SITE_ROOT, default: the repository), which holds docs/generated/ and figures/.
Named once here, for the build step that sets it and the hooks that read it."""

from __future__ import annotations

import os
from pathlib import Path

SITE_ROOT_ENV = "MAKEMORE_SITE_ROOT"  # where docs/generated and figures/ live (the Snakemake workdir)
MIKE_VERSION_ENV = "MIKE_DOCS_VERSION"  # the version `mike deploy` is building (unset otherwise)


def site_paths(config_file: str | os.PathLike) -> dict[str, Path]:
    """repo, root (the run's directory), gen (docs/generated) and content (its pages, nav, includes)."""
    repo = Path(config_file).resolve().parent
    root = Path(os.environ.get(SITE_ROOT_ENV) or repo).resolve()
    gen = root / "docs" / "generated"
    return {"repo": repo, "root": root, "gen": gen, "content": gen / "content"}
