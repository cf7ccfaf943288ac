"""Command line: `python -m pipeline <step> --help`. The Snakefile calls these steps."""

from __future__ import annotations

import argparse
import json
import sys


def _fetch(a):
    from pipeline.data import fetch
    if a.expect:  # rule data: the checksum is the identity Snakemake computed (workflow/data_source.py)
        a.sha256 = "none" if a.expect.startswith("url:") else a.expect
    digest = fetch(a.out, url=a.url, local=a.path or None, sha256=None if a.sha256 == "none" else a.sha256)
    if a.info:
        from pathlib import Path

        from pipeline.data import describe
        from pipeline.io import write_json
        origin = f"local file {Path(a.path).name}" if a.path else a.url  # no machine paths on the site
        write_json(a.info, describe(a.out, origin))
    print(f"{a.out}: sha256 {digest} ({'copied from ' + a.path if a.path else 'downloaded from ' + a.url})")


def _json_arg(text: str, flag: str):
    from pipeline.errors import ConfigError
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{flag}: not valid JSON ({e}); quote the whole spec for the shell.") from None


def _spec(a) -> dict:
    from pipeline.config.spec import check_spec
    if a.spec:
        return check_spec(_json_arg(a.spec, "--spec"))
    from pipeline.config import PRESENTATION_KEYS, load
    cfg = load(*a.configfile)
    if a.experiment not in cfg["resolved"]:
        raise SystemExit(f"error: no experiment {a.experiment!r} in {', '.join(a.configfile)}; "
                         f"known: {', '.join(cfg['resolved'])}")
    return {k: v for k, v in cfg["resolved"][a.experiment].items() if k not in PRESENTATION_KEYS}


def _train(a):
    from pipeline.training.loop import train
    m = train(_spec(a), a.data, a.out, threads=a.threads, checkpoint_every=a.checkpoint_every)
    print(json.dumps({k: m[k] for k in ("experiment", "initial_loss", "train_loss", "val_loss", "test_loss",
                                        "n_params", "train_seconds", "ms_per_step")}))


def _specs(a, n: int, what: str, fill=None) -> list[dict]:
    """--specs: a JSON list of `what`, n of them, each checked for shape (after `fill`)."""
    from pipeline.config.spec import check_spec
    from pipeline.errors import ConfigError
    specs = _json_arg(a.specs, "--specs")
    if not isinstance(specs, list) or not specs or len(specs) != n:
        raise ConfigError(f"--specs: expected a JSON list of {what}.")
    return [check_spec(fill(s) if fill and isinstance(s, dict) else s, f"--specs[{i}]") for i, s in enumerate(specs)]


def _train_many(a):
    from pipeline.training.jobs import train_many
    specs = _specs(a, len(a.out), "resolved experiment specs, one per --out directory")
    ms = train_many(specs, a.data, a.out, threads=a.threads, checkpoint_every=a.checkpoint_every)
    for m in ms:
        print(json.dumps({k: m[k] for k in ("experiment", "initial_loss", "train_loss", "val_loss", "test_loss",
                                            "train_seconds", "ms_per_step")}))


def _train_stack(a):
    from pipeline.training.jobs import train_stack, with_defaults
    # an experiment's spec without its evaluation keys (training/groups.py): no name, sampling, on_divergence
    specs = _specs(a, len(a.out), "training specs, one per --out file", fill=with_defaults)
    train_stack(specs, a.data, a.out, threads=a.threads, checkpoint_every=a.checkpoint_every,
                simple=a.engine == "simple")


def _evaluate(a):
    import torch

    from pipeline.errors import ConfigError
    from pipeline.training.store import evaluate_many
    if len(a.trained) != len(a.out):
        raise ConfigError(f"evaluate: {len(a.trained)} --trained files but {len(a.out)} --out directories.")
    specs = _specs(a, len(a.out), "resolved experiment specs, one per --trained file and --out directory")
    torch.set_num_threads(a.threads)  # the training job's: the same threads give the same numbers
    for m in evaluate_many(specs, a.trained, a.data, a.out):
        print(json.dumps({k: m[k] for k in ("experiment", "initial_loss", "train_loss", "val_loss", "test_loss")}))


def _figures(a):
    """The figure code, in the mode --downloads asks for (SVG, PDF, talk PNGs instead of the site's files)."""
    from pipeline import plots
    plots.files.set_mode("downloads" if a.downloads else "site")
    return plots


def _plot(a):
    print("wrote", ", ".join(_figures(a).render_experiment(a.run, a.out, title=a.title, family=a.family or ())))


def _plot_part_a(a):
    _figures(a).render_part_a(a.runs, a.out, titles=json.loads(a.titles) if a.titles else None)


def _plot_pair(a):
    from pipeline.plots.compare import render_pair
    _figures(a)
    render_pair(a.plain, a.batchnorm, a.out, titles=json.loads(a.titles) if a.titles else None)


def _demo(a):
    from pipeline.analysis.demos import DEMOS
    from pipeline.io import write_json
    write_json(a.out, DEMOS[a.name](json.loads(a.spec)))


def _plot_demo(a):
    _figures(a).render_demo(a.name, a.data, a.out)


def _report(a):
    from pipeline.analysis.tables import results_table
    results_table(a.metrics, a.json, a.md)


def _study(a):
    from pathlib import Path

    from pipeline.studies import registry
    try:
        study = registry.study_of(a.study)
    except KeyError as e:
        raise SystemExit(f"error: {e.args[0]}") from None
    io = registry.StudyIO(id=a.study, runs=Path(a.runs), data=Path(a.data), out=Path(a.out),
                          figures=Path(a.figures), threads=a.threads)
    spec = _json_arg(a.spec, "--spec")
    from pipeline.config import spec_hash
    from pipeline.data import sha256_of
    from pipeline.plots import provenance
    _figures(a)
    try:
        with provenance(experiment=f"study {a.study}", config_hash=spec_hash(spec),
                        subject=spec.get("title") or a.study if isinstance(spec, dict) else a.study,
                        data_sha256=sha256_of(a.data) if Path(a.data).is_file() else "-"):
            result = study.run(spec, io)
    except (KeyError, TypeError, AttributeError) as e:  # a hand-made spec: the workflow's has what it reads
        from pipeline.errors import ConfigError
        raise ConfigError(f"study {a.study}: --spec lacks what the study reads ({type(e).__name__}: {e}); pass "
                          "the spec the workflow resolves (`snakemake -n -p` prints it).") from None
    for line in result.get("text", []):
        print(line)


def _zip(a):
    from pipeline.bundle import write_zip
    print(f"wrote {a.out}: {len(write_zip(a.groups, a.license, a.out))} files")


def _write_config(a):
    from pipeline.config import validate
    from pipeline.io import write_json
    cfg = json.loads(a.json)
    validate(cfg, source="the resolved config")  # what the rules will read must be valid
    write_json(a.out, cfg)
    print(f"wrote the resolved config to {a.out}")


def _validate(a):
    from pipeline.config import load, memory
    from pipeline.errors import ConfigError
    cfg = load(*a.configfile)
    for name, s in cfg["resolved"].items():
        print(f"{name:24s} kind={s['kind']:4s} part={s['part']} steps={s['steps']}")
    print(memory.run_cost(cfg, ConfigError))


def _site(a):
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
        rc = site.build(a.config_file, a.site_dir, root=a.root, strict=not a.no_strict)
        if rc:
            raise SystemExit(rc)


def _count(minimum: int):
    """argparse type: an integer >= minimum, refused with the flag's name otherwise."""
    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if n < minimum:
            raise argparse.ArgumentTypeError(f"{n} is below {minimum}" + (" (0 turns it off)" if minimum == 0 else ""))
        return n
    parse.__name__ = f"integer >= {minimum}"
    return parse


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__)
    sub = p.add_subparsers(dest="step", required=True, metavar="STEP")
    dl = argparse.ArgumentParser(add_help=False)  # the figure steps' mode (pipeline/plots/files.py)
    dl.add_argument("--downloads", action="store_true", help="write SVG, PDF and talk PNGs (downloads/figures/)")

    s = sub.add_parser("fetch", help="put the word list in place, verified by sha256",
                       description="Download names.txt (or copy a local file) and verify its sha256. "
                                   "Nothing is written unless the checksum matches.")
    s.add_argument("--out", required=True, help="where to write the word list, e.g. data/names.txt")
    s.add_argument("--info", default="", help="also write its sha256, origin and vocabulary here (JSON)")
    s.add_argument("--url", default="https://raw.githubusercontent.com/karpathy/makemore/master/names.txt")
    s.add_argument("--path", default="", help="a local copy to use instead of downloading")
    s.add_argument("--expect", default="", help="what the workflow computed when it read the Snakefile: the "
                                                "sha256 the copy must have (replaces --sha256), or url:<url>")
    s.add_argument("--sha256", default="0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d",
                   help="expected checksum, or 'none' to skip the check")
    s.set_defaults(func=_fetch)

    s = sub.add_parser("train", help="train one experiment into a run directory",
                       description="Train one experiment (a resolved spec as JSON, or a name from the config) "
                                   "and write metrics.json, history.npz, probes.npz, samples.txt and "
                                   "checkpoint.pt to --out.")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--spec", help="the resolved experiment spec as JSON (what the Snakefile passes)")
    g.add_argument("--experiment", help="an experiment name from --configfile")
    s.add_argument("--configfile", nargs="+", default=["config.yaml"], help="config files, later override earlier")
    s.add_argument("--data", required=True, help="the word list, e.g. data/names.txt")
    s.add_argument("--out", required=True, help="the run directory, e.g. results/runs/kaiming")
    s.add_argument("--threads", type=_count(1), default=1, help="torch threads (default 1)")
    s.add_argument("--checkpoint-every", type=_count(0), default=0, help="steps between resumable checkpoints")
    s.set_defaults(func=_train)

    s = sub.add_parser("train-many", help="train several experiments at once with the batched engine",
                       description="Train experiments that share an architecture as one stacked computation "
                                   "(pipeline/training/engine.py) and write one run directory per experiment, the same "
                                   "files as `train`.")
    s.add_argument("--specs", required=True, help="a JSON list of resolved experiment specs")
    s.add_argument("--data", required=True, help="the word list, e.g. data/names.txt")
    s.add_argument("--out", nargs="+", required=True, help="one run directory per spec, in order")
    s.add_argument("--threads", type=_count(1), default=1, help="torch threads (default 1)")
    s.add_argument("--checkpoint-every", type=_count(0), default=0,
                   help="steps between resumable checkpoints of each stack (in its first run directory)")
    s.set_defaults(func=_train_many)

    s = sub.add_parser("train-stack", help="train the trainings of one stack into their trained.pt files",
                       description="Train training specs (pipeline/training/groups.py: an experiment's spec "
                                   "without its evaluation keys) with the batched engine, each into a trained.pt "
                                   "that `evaluate` turns into run directories.")
    s.add_argument("--specs", required=True, help="a JSON list of training specs")
    s.add_argument("--data", required=True, help="the word list, e.g. data/names.txt")
    s.add_argument("--out", nargs="+", required=True, help="one trained.pt per spec, in order")
    s.add_argument("--threads", type=_count(1), default=1, help="torch threads (default 1)")
    s.add_argument("--checkpoint-every", type=_count(0), default=0,
                   help="steps between resumable checkpoints (beside the first out file, in .resume/)")
    s.add_argument("--engine", choices=("batched", "simple"), default="batched",
                   help="simple: the lecture's loop for every spec (runtime.engine: simple)")
    s.set_defaults(func=_train_stack)

    s = sub.add_parser("evaluate", help="write experiments' run directories from their trainings",
                       description="Evaluate finished trainings (trained.pt of `train-stack`) as experiments (running "
                                   "statistics or calibrated BatchNorm, losses, samples) into run directories. An "
                                   "experiment with on_divergence: stop whose training diverged fails the step.")
    s.add_argument("--specs", required=True, help="a JSON list of resolved experiment specs")
    s.add_argument("--trained", nargs="+", required=True, help="each spec's training file (trained.pt), in order")
    s.add_argument("--data", required=True, help="the word list, e.g. data/names.txt")
    s.add_argument("--out", nargs="+", required=True, help="each spec's run directory, e.g. results/runs/kaiming")
    s.add_argument("--threads", type=_count(1), default=1, help="torch threads: its training job's (default 1)")
    s.set_defaults(func=_evaluate)

    s = sub.add_parser("plot", help="render every figure of one run", parents=[dl],
                       description="Render the figures of one experiment's run directory (PNG, dark WebP, "
                                   "thumbnails, legend JSON; --downloads: SVG, PDF, talk PNGs) into --out.")
    s.add_argument("--run", required=True, help="a run directory written by `train`")
    s.add_argument("--out", required=True, help="e.g. figures/kaiming")
    s.add_argument("--title", default=None, help="the experiment's title, for figure titles")
    s.add_argument("--family", nargs="*", default=[],
                   help="run directories of the experiments compared with this one: shared axes")
    s.set_defaults(func=_plot)

    s = sub.add_parser("plot-part-a", help="render the figures across Part A", parents=[dl],
                       description="Overlay of every loss curve and the initial-loss chart.")
    s.add_argument("--runs", nargs="+", required=True, help="the Part A run directories, in lecture order")
    s.add_argument("--out", required=True, help="e.g. figures/part_a")
    s.add_argument("--titles", default="", help="JSON: experiment name -> its title, for the legends")
    s.set_defaults(func=_plot_part_a)

    s = sub.add_parser("plot-pair", help="draw a deep network against its BatchNorm twin, on shared axes", parents=[dl],
                       description="Activations, gradients and weight gradients at init, without and with "
                                   "BatchNorm, in one figure (figures/<batchnorm run>/versus_plain.*).")
    s.add_argument("--plain", required=True, help="the run directory without BatchNorm")
    s.add_argument("--batchnorm", required=True, help="the run directory with BatchNorm")
    s.add_argument("--out", required=True, help="e.g. figures/batchnorm_gain_5_3")
    s.add_argument("--titles", default="", help="JSON: experiment name -> its title")
    s.set_defaults(func=_plot_pair)

    s = sub.add_parser("demo", help="compute a Part C demonstration",
                       description="Compute the numbers of one Part C demonstration into a JSON file.")
    s.add_argument("name", choices=["linear_stats", "batchnorm_demo"])
    s.add_argument("--spec", required=True, help="the demo's config section as JSON")
    s.add_argument("--out", required=True)
    s.set_defaults(func=_demo)

    s = sub.add_parser("plot-demo", help="render a Part C demonstration", parents=[dl],
                       description="Render a Part C demonstration's figure from its JSON numbers.")
    s.add_argument("name", choices=["linear_stats", "batchnorm_demo"])
    s.add_argument("--data", required=True, help="the JSON written by `demo`")
    s.add_argument("--out", required=True)
    s.set_defaults(func=_plot_demo)

    s = sub.add_parser("report", help="the Part A results table (JSON + Markdown)",
                       description="Tabulate every Part A run beside the lecture's published losses.")
    s.add_argument("--metrics", nargs="+", required=True, help="metrics.json files, in lecture order")
    s.add_argument("--json", required=True)
    s.add_argument("--md", required=True)
    s.set_defaults(func=_report)

    s = sub.add_parser("study", help="a study beyond the lecture, over many runs", parents=[dl],
                       description="Read the run directories of one study job from config.yaml `beyond:` "
                                   "(a module of pipeline/studies/: seeds, gain_sweep, compare_<name>, momentum, "
                                   "zero_init, fold, ...) and write <out>/<id>.json plus its figures.")
    s.add_argument("study", help="the job id: a study's name, or <name>_<instance> (compare_activations)")
    s.add_argument("--spec", required=True, help="the study's spec as JSON (what the Snakefile passes)")
    s.add_argument("--runs", default="results/runs", help="the directory holding the run directories")
    s.add_argument("--data", default="data/names.txt", help="the word list (studies that re-evaluate models)")
    s.add_argument("--out", default="results/beyond", help="directory for <study>.json")
    s.add_argument("--figures", required=True, help="directory for the study's figures")
    s.add_argument("--threads", type=_count(1), default=1, help="torch threads (default 1)")
    s.set_defaults(func=_study)

    s = sub.add_parser("zip", help="zip the download files of figure groups, reproducibly",
                       description="Zip figure groups' download files with LICENSE-CONTENT and a "
                                   "README.txt of the figures' provenance (pipeline/bundle.py).")
    s.add_argument("groups", nargs="+", help="downloads/figures/<group> directories (a site page's figures each)")
    s.add_argument("--license", default="LICENSE-CONTENT", help="the figures' licence, zipped beside them")
    s.add_argument("--out", required=True, help="e.g. downloads/kaiming.zip")
    s.set_defaults(func=_zip)

    s = sub.add_parser("config", help="write the config Snakemake resolved (what the site rules read)",
                       description="Writes the config that Snakemake resolved from config.yaml, every "
                                   "--configfile and --config, as one JSON file, after validating it.")
    s.add_argument("--json", required=True, help="the resolved config as JSON text (the Snakefile passes it)")
    s.add_argument("--out", required=True, help="e.g. results/config.json")
    s.set_defaults(func=_write_config)

    s = sub.add_parser("validate", help="check config files and list the experiments",
                       description="Validate config files exactly as the workflow does when it loads.")
    s.add_argument("--configfile", nargs="+", default=["config.yaml"])
    s.set_defaults(func=_validate)

    s = sub.add_parser("site", help="the teaching site: pages, notebooks, pipeline graph, mkdocs build",
                       description="Generate the site's pages from the pipeline's outputs (pages), execute a "
                                   "companion notebook (notebook), draw the pipeline graph (dag), or render the "
                                   "site with MkDocs (build). Run from the directory holding results/ and "
                                   "figures/ (--root).")
    s.add_argument("what", choices=["pages", "notebook", "dag", "build"])
    s.add_argument("--root", default=".", help="the pipeline's working directory (default: .)")
    s.add_argument("--configfile", nargs="+", default=["config.yaml"], help="config files, later override earlier")
    s.add_argument("--out", default=None, help="pages: output directory (default docs/generated/content); "
                                               "notebook: the .ipynb; dag: output directory")
    s.add_argument("--src", help="notebook: the jupytext .py source")
    s.add_argument("--snakefile", default="Snakefile", help="dag: the workflow to draw")
    s.add_argument("--config-file", default="mkdocs.yml", help="build: the MkDocs config")
    s.add_argument("--site-dir", default="site", help="build: where the site goes")
    s.add_argument("--no-strict", action="store_true", help="build: let warnings pass")
    s.add_argument("--claims", choices=["strict", "warn"], default=None,
                   help="pages: a claim its data contradicts fails the step (strict) or is marked on its page "
                        "(warn); default: the config's `claims`")
    s.set_defaults(func=_site)

    a = p.parse_args(argv)
    from pipeline import errors
    try:
        a.func(a)
    except (errors.ConfigError, errors.DataError, errors.DivergenceError, errors.ClaimError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # the machine said no: a full disk, a missing or unwritable path
        print(f"error: {errors.os_error_line(e)}", file=sys.stderr)
        return 1
    except RuntimeError as e:
        if not errors.write_failed(e):
            raise
        print(f"error: writing a file failed ({str(e).splitlines()[0][:120]}); {errors.DISK_FULL}", file=sys.stderr)
        return 1
    return 0
