"""Read the run directories of one study job from config.yaml `beyond:` (a module of
pipeline/studies/: seeds, gain_sweep, compare_<name>, momentum, zero_init, fold, ...) and write
<out>/<id>.json plus its figures."""

from __future__ import annotations

from pipeline.steps.args import count

NAME = "study"
HELP = "a study beyond the lecture, over many runs"


def add_arguments(p) -> None:
    from pipeline.steps.args import downloads_flag
    downloads_flag(p)
    p.add_argument("study", help="the job id: a study's name, or <name>_<instance> (compare_activations)")
    p.add_argument("--spec", required=True, help="the study's spec as JSON (what the Snakefile passes)")
    p.add_argument("--runs", default="results/runs", help="the directory holding the run directories")
    p.add_argument("--data", default="data/names.txt", help="the word list (studies that re-evaluate models)")
    p.add_argument("--out", default="results/beyond", help="directory for <study>.json")
    p.add_argument("--figures", required=True, help="directory for the study's figures")
    p.add_argument("--threads", type=count(1), default=1, help="torch threads (default 1)")


def run(a) -> None:
    from pipeline.plots import files
    files.set_mode("downloads" if a.downloads else "site")
    from pathlib import Path

    from pipeline.steps.args import json_arg
    from pipeline.studies import registry
    try:
        study = registry.study_of(a.study)
    except KeyError as e:
        raise SystemExit(f"error: {e.args[0]}") from None
    io = registry.StudyIO(id=a.study, runs=Path(a.runs), data=Path(a.data), out=Path(a.out),
                          figures=Path(a.figures), threads=a.threads)
    spec = json_arg(a.spec, "--spec")
    from pipeline.config import spec_hash
    from pipeline.data import sha256_of
    from pipeline.plots import provenance
    try:
        with provenance(experiment=f"study {a.study}", config_hash=spec_hash(spec),
                        subject=spec.get("title") or a.study if isinstance(spec, dict) else a.study,
                        data_sha256=sha256_of(a.data) if Path(a.data).is_file() else "-"):
            result = study.run(spec, io)
    except (KeyError, TypeError, AttributeError) as e:  # a hand-made spec: the workflow's has what it reads
        from pipeline.errors import ConfigError
        raise ConfigError(f"study {a.study}: --spec lacks what the study reads ({type(e).__name__}: {e}); pass "
                          "the spec the workflow resolves (`snakemake -n -p` prints it).") from None
    written = ", ".join(str(io.out / f) for f in study.outputs(a.study))
    rows = result.get("rows")
    size = f"{len(rows)} rows" if isinstance(rows, list) else "fields " + ", ".join(sorted(result))
    print(f"study {a.study}: {size}; wrote {written} "
          f"(what they show is said, and checked, on the site: docs/notes/{a.study}.md)")
