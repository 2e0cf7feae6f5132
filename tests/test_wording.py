"""Words from outside the product never reach what users read: a "seed" here is the random seed, so the recipe a
write-up used is named for what it is (a common recipe), not "the seed system"."""

import re

from tests.helpers import ROOT

READ_BY_USERS = ("README.md", "CONTRIBUTING.md", "docs", "reports", "imbalance_lab", "stages", "commands")
FOREIGN = re.compile(r"seed system|seed's", re.IGNORECASE)


def test_no_user_facing_text_says_seed_system():
    found = []
    for entry in READ_BY_USERS:
        path = ROOT / entry
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.suffix in (".py", ".md")]
        for file in files:
            for n, line in enumerate(file.read_text().splitlines(), 1):
                if FOREIGN.search(line):
                    found.append(f"{file.relative_to(ROOT)}:{n}")
    assert not found, found
