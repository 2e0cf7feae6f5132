import pytest

from tests.helpers import FAST_PARAMS, copy_project, make_texts, run, set_params


@pytest.fixture
def text_project(tmp_path):
    """A copy of the project reading a small imbalanced 3-class CSV with the fast tfidf backend."""
    project = copy_project(tmp_path / "project")
    make_texts({"weather": 240, "sports": 90, "finance": 24}).to_csv(project / "texts.csv", index=False)
    set_params(project, data={"source": "texts.csv"}, **FAST_PARAMS)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "fixture project"], project)
    return project
