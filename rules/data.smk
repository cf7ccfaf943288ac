# ---- the resolved config, and the data set -------------------------------------------------------


rule resolved_config:
    output:
        "results/config.json",  # config.yaml + every --configfile + --config, as Snakemake resolved them
    params:
        config=PLAN.config_json(),
    conda:
        "../envs/pipeline.yaml"
    log:
        "logs/config.log",
    shell:
        "python -m pipeline config --json {params.config:q} --out {output} > {log} 2>&1 || (cat {log} >&2; exit 1)"


# ---- the data set: downloaded (or copied from names_path) and checked against its sha256 ----


rule data:
    output:
        names="data/names.txt",
        info="results/data.json",  # sha256, origin and vocabulary of the word list, for the site
    params:
        identity=PLAN.data_identity,  # the content's sha256: a copy elsewhere changes nothing, an edit reruns
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("data"),
        # where the word list comes from, passed as resources, which (unlike params) never rerun a job:
        # a byte-identical copy under another path is the same data (pipeline/workflow/data_source.py)
        **PLAN.data_source,
    log:
        "logs/data.log",
    benchmark:
        "results/benchmarks/data/names.tsv"
    shell:
        "python -m pipeline fetch --url={resources.names_url:q} --path={resources.names_path:q} "
        "--expect {params.identity:q} --out {output.names} --info {output.info} > {log} 2>&1 || (cat {log} >&2; exit 1)"
