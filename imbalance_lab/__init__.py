"""imbalance-lab: measure which class-imbalance fix actually helps on your data."""

import os

# Before torch loads OpenMP: idle OpenMP threads sleep instead of spinning. With `dvc queue start -j 2` on a
# 2-core machine, spinning threads of one experiment steal the cores the other needs (measured: 5 epochs took
# 71 s with the default ACTIVE policy and 14 s with PASSIVE while other experiments ran).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
