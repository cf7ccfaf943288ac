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
claims.py checks every sentence the pages state about a result (a `claim` call block in the
templates and in the hand-written notes, which are rendered as templates too), over the
accessors of facts.py (`run` in every template); a claim that does not hold stops the pages
step (`claims: strict`) or is marked on its page (`claims: warn`), and the claims page lists
them all. lecture.py links results to the lecture's moments (docs/lecture.yaml).

Every number on the site comes from those files; the only constants are the lecture's
published numbers (pipeline.analysis.lecture), always labelled as the lecture's.
"""

from pipeline.site.build import build, execute_notebook, load_cfg, render_dag
from pipeline.site.write import write_pages

__all__ = ["build", "execute_notebook", "load_cfg", "render_dag", "write_pages"]
