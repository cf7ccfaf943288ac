"""Beyond the lecture: studies that read many runs and write one JSON (+ figures) each.

One module per study, each declaring itself as `STUDY = Study(...)` (registry.py): the keys of
config.yaml's `beyond:` it owns and their schema, the experiments it generates, the spec and
inputs of each of its jobs, its outputs, its runner and its figures. registry.py finds them;
common.py holds what several of them share. The JSON files are what the site renders; no
number is typed by hand.
"""
