import pytest

from imbalance_lab.features.embed_cache import CACHE_ENV
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


@pytest.fixture(scope="session")
def ran_project(tmp_path_factory):
    """The text_project data after one full `dvc repro` (cv.folds 2, an ensemble of 3 so train takes a while),
    committed. Shared by the slow reliability tests: never change it, work on copy_ran_project(ran_project, dest)."""
    project = copy_project(tmp_path_factory.mktemp("ran") / "project")
    make_texts({"weather": 240, "sports": 90, "finance": 24}).to_csv(project / "texts.csv", index=False)
    fast_train = {**FAST_PARAMS["train"], "ensemble_size": 3}
    set_params(project, data={"source": "texts.csv"}, **{**FAST_PARAMS, "train": fast_train, "cv": {"folds": 2}})
    run(["dvc", "repro"], project)
    run(["git", "add", "-A"], project)
    run(["git", "commit", "-qm", "baseline run"], project)
    return project


@pytest.fixture(autouse=True)
def embedding_cache(tmp_path, monkeypatch):
    """In-process embedding writes its cache under the test's tmp_path, never in the checkout."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "embedding-cache"))
    return tmp_path / "embedding-cache"
