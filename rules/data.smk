# ---- the data set: downloaded (or copied from names_path) and checked against its sha256 ----


rule data:
    output:
        names="data/names.txt",
        info="results/data.json",  # sha256, origin and vocabulary of the word list, for the site
    params:
        **PLAN.data_params(),
    conda:
        "../envs/pipeline.yaml"
    resources:
        **PLAN.asks.for_rule("data"),
    log:
        "logs/data.log",
    benchmark:
        "results/benchmarks/data/names.tsv"
    shell:
        "python -m pipeline fetch --out {output.names} --info {output.info} --url {params.url:q} "
        "--path {params.path:q} --sha256 {params.sha256} > {log} 2>&1 || (cat {log} >&2; exit 1)"
