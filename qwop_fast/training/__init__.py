"""Training on QWOP with Stable-Baselines3: the code behind ``qwop-fast train``,
``evaluate``, ``watch`` and ``plot``.

  algorithms.py    the algorithms a config may name, and their SB3 classes
  config.py        the training config (YAML) and its schema
  checkpoints.py   loading a saved model and the env options it was trained with
  timing.py        where a run's wall time goes (env, policy, gradient updates)
  callbacks.py     the run's callbacks: evaluation, checkpoints, progress
  run.py           one training run: its folder, env stack, learn(), resume
  evaluate.py      evaluating a model (or a random policy) over episodes
  watch.py         a model's episodes in a window or an animation file
  plot.py          learning curves from a run's monitor.csv

Unlike the env library (``qwop_fast``), these modules import stable-baselines3
and torch at the top, as any SB3 code does; nothing here is imported by
``import qwop_fast``. Install with ``pip install 'qwop-fast[train]'``.
"""
