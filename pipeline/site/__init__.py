"""The teaching site: markdown pages generated from the pipeline's outputs, then MkDocs.

Nothing here trains or plots. `write_pages` reads what the pipeline wrote (run
directories, figure legend JSON, demo and study JSON, Snakemake benchmark files) and the
resolved config, and renders the templates of docs/templates/ into docs/generated/content/:

  pages/      whole pages, mounted at the site root by pipeline/site/hooks.py
  include/    fragments that the hand-written pages in docs/ pull in with `--8<--`
  nav.yml     the navigation, in config order (lecture order), so new experiments
              appear without editing mkdocs.yml

The modules: outputs.py reads the outputs, pages.py and machine.py turn them into one
context per page, render.py is the Jinja2 environment (numbers go through
pipeline/format.py), write.py maps each file to its template, code.py quotes the package's
source, nav.py builds the navigation, build.py runs notebooks, graphviz and MkDocs.

Every number on the site comes from those files; the only constants are the lecture's
published numbers (pipeline.analysis.lecture), always labelled as the lecture's.
"""

from pipeline.site.build import build, execute_notebook, load_cfg, render_dag
from pipeline.site.write import write_pages

__all__ = ["build", "execute_notebook", "load_cfg", "render_dag", "write_pages"]
