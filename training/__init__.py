"""Training: dataset preprocessing, pair sampling, the paper's losses, a resumable GAN trainer, DDP.

Imports `core`, never Qt or the GUI. Start at `training.trainer.Trainer` or `main.py train --help`.
"""
