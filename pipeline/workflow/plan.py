"""The plan the Snakefile wires: the validated config, seen as the parts each rule reads.

Everything that is logic lives here and in the modules beside it, so the rules stay wiring:

- `experiments` (experiments.py): every experiment, its spec and the wildcard patterns;
  `demos`: Part C's demonstrations;
- `runtime`, `jobs` (jobs.py): the engine's settings, the trainings (experiments that differ only
  in how they are evaluated share one), the jobs that train them and the jobs that evaluate them;
- `figures` (targets.py): the figure files each rule writes and `rule all` asks for;
- `studies` (studies.py): the study jobs, from the registry of pipeline/studies/;
- `asks` (resources.py): what each job asks a scheduler for;
- `site` (site_inputs.py): what the site's pages read.

Snakemake does not notice edits to imported package code, so each rule takes the files of
its CLI step as inputs, derived from the import graph (codegraph.code_for): editing the plots
reruns the plots, not the training.
"""

from __future__ import annotations

import copy
import json

from pipeline import config as cfgmod
from pipeline.workflow.data_source import data_identity
from pipeline.workflow.experiments import Demos, Experiments
from pipeline.workflow.jobs import Runtime, TrainingJobs
from pipeline.workflow.report import ReportGroups
from pipeline.workflow.resources import Asks
from pipeline.workflow.site_inputs import SitePages
from pipeline.workflow.studies import Studies
from pipeline.workflow.targets import Figures


class Plan:
    """The validated config (config.yaml, any --configfile and --config), in parts."""

    def __init__(self, config: dict, configfiles=()):
        cfgmod.check_files(configfiles)  # duplicate keys: Snakemake's YAML loader keeps the last silently
        self.raw = copy.deepcopy(config)  # as Snakemake resolved it: config.yaml, --configfile, --config
        self.cfg = cfgmod.validate(config, source="config (config.yaml and any --configfile/--config)")
        self.experiments = Experiments(self.cfg)
        self.demos = Demos(self.cfg)
        self.runtime = Runtime(self.cfg)
        self.jobs = TrainingJobs(self.experiments, self.runtime)
        self.figures = Figures(self.experiments, self.demos)
        self.report = ReportGroups(self.experiments.resolved)  # snakemake --report's groups
        self.studies = Studies(self.cfg)
        self.asks = Asks(self.jobs.trainings, self.jobs.members, self.jobs.evaluations)
        self.site = SitePages(self.experiments, self.demos, self.figures, self.studies)
        self.data_identity = data_identity(self.cfg)  # the word list's sha256 (data_source.py), checked now
        self.data_source = {"names_url": self.cfg["names_url"], "names_path": self.cfg["names_path"] or ""}

    @classmethod
    def load(cls, config: dict, configfiles=()) -> Plan:
        """For the Snakefile: a bad config stops Snakemake with the one-paragraph message, no traceback."""
        try:
            return cls(config, configfiles)
        except cfgmod.ConfigError as e:
            raise SystemExit(f"error: {e}") from None

    def config_json(self) -> str:
        """The config Snakemake resolved, as one JSON text: rule `resolved_config` writes it to
        results/config.json (rule resolved_config), the one file every rule that reads the config takes as input (so the
        site shows the config the run used, whatever --configfile and --config said)."""
        # in the config's own order: the experiments' order is the lecture's, which the site follows
        # (each Part A variant is compared with the one before it; pages, tables and figures in order)
        return json.dumps(self.raw, separators=(",", ":"), default=str)
