"""The lecture's own printed numbers: the one place they live. Wherever the site or a table
shows one, it is labelled as the lecture's, beside this run's value."""

from pipeline.format import Printed as P  # each number at the precision the lecture printed it

# Part A: the lecture's loss log after training (train, val)
LECTURE = {
    "bad_init": {"train": P("2.1245"), "val": P("2.1682")},
    "scaled_logits": {"train": P("2.07"), "val": P("2.13")},
    "fixed_tanh": {"train": P("2.0356"), "val": P("2.1027")},
    "kaiming": {"train": P("2.0377"), "val": P("2.1070")},
    "batchnorm": {"train": P("2.0668"), "val": P("2.1048")},
    "batchnorm_running": {"train": P("2.0674"), "val": P("2.1057")},
}
LECTURE_INITIAL_LOSS = {"bad_init": P("27.8817")}  # printed at step 0 in the lecture
LECTURE_STEPS = 200_000  # the lecture's Part A training length, to flag shortened runs

# The lecture's notebook (makemore_part3_bn.ipynb), as published: cell numbers are its `In [n]`.
NOTEBOOK = "https://github.com/karpathy/nn-zero-to-hero/blob/master/lectures/makemore/makemore_part3_bn.ipynb"
LECTURE_CELLS = {"part_a_losses": 11, "deep_net": 13, "deep_loss": 19, "activations": 15, "gradients": 16,
                 "weight_gradients": 17, "update_ratios": 18, "linear_stats": 23, "batchnorm_linear": 24}

# Part B: what the notebook prints for its last deep network (In [13]: Tanh with a BatchNorm after every
# Linear, gain 1.0 on the hidden Linear weights, last BatchNorm gamma x 0.1), after 1,001 steps (In [14]).
LECTURE_BN_NET = {
    "gain": 1.0, "steps": 1001, "n_params": 47024,
    # In [15]: per Tanh layer, mean, std and % with |h| > 0.97
    "activations": [(-0.00, 0.63, 2.78), (0.00, 0.64, 2.56), (-0.00, 0.65, 2.25), (0.00, 0.65, 1.69),
                    (0.00, 0.65, 1.88)],
    # In [16]: std of the gradient at each Tanh layer's output
    "gradient_std": [2.640702e-03, 2.245584e-03, 2.045742e-03, 1.983134e-03, 1.952382e-03],
    # In [17]: grad:data ratio of each 2-D parameter (C, then the six Linear weights)
    "grad_to_data": [8.012630e-03, 4.881091e-02, 6.964619e-02, 6.073741e-02, 5.631483e-02, 5.570125e-02,
                     1.160106e-01],
    # In [19]: losses after the 1,001 steps
    "train": P("2.4003"), "val": P("2.3982"),
}
# Said and shown in the video, not printed by the final notebook: the plain Tanh network at gain 5/3 at
# initialisation (deeper layers near std 0.66, about 5 % saturated), and the update:data rule of thumb
# (In [18] draws it at -3: ratios of about 1e-3).
LECTURE_TANH_5_3 = {"deep_std": P("0.66"), "deep_saturated_pct": P("5")}
LECTURE_UD_LOG10 = -3.0
# In [23]: a 1000 x 1000 Gaussian matrix times a Gaussian vector: output std and the input gradient's std
LECTURE_LINEAR = {"y_std": P("31.01"), "x_grad_std": P("30.88")}
