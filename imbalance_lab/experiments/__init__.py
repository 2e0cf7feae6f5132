"""Many runs: sweep plans, the DVC experiment queue, seed statistics, and the leaderboard (compare)."""
