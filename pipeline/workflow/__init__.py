"""What the Snakefile reads: the plan of jobs and outputs (plan.py and the parts it is made of),
what each job asks a scheduler for (resources.py), and each rule's code inputs from the import
graph (codegraph.py). Torch-free: Snakemake imports it when the workflow loads."""
