"""The lecture's own printed numbers: the one place they live. Wherever the site or a table
shows one, it is labelled as the lecture's, beside this run's value."""

# Part A: the lecture's loss log after training (train, val)
LECTURE = {
    "bad_init": {"train": 2.1245, "val": 2.1682},
    "scaled_logits": {"train": 2.07, "val": 2.13},
    "fixed_tanh": {"train": 2.0356, "val": 2.1027},
    "kaiming": {"train": 2.0377, "val": 2.1070},
    "batchnorm": {"train": 2.0668, "val": 2.1048},
    "batchnorm_running": {"train": 2.0674, "val": 2.1057},
}
LECTURE_INITIAL_LOSS = {"bad_init": 27.8817}  # printed at step 0 in the lecture
LECTURE_STEPS = 200_000  # the lecture's Part A training length, to flag shortened runs
