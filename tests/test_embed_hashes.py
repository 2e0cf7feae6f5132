import numpy as np

from imbalance_lab.data.rows import text_hashes


def test_text_hashes_group_stripped_texts_and_exact_feature_rows():
    texts = text_hashes(["what is x ?", "  what is x ?\n", "what is y ?"])
    assert texts.dtype == np.uint64 and texts[0] == texts[1] != texts[2]
    rows = np.array([[0.0, 1.0], [0.0, 1.0], [-0.0, 1.0], [1.0, 0.0]], dtype=np.float32)
    features = text_hashes([row.tobytes() for row in rows])
    assert features[0] == features[1]
    assert len({features[1], features[2], features[3]}) == 3  # -0.0 differs from 0.0 in its bytes
