"""Writes breast_cancer.csv and diabetes.csv (this folder) from scikit-learn 1.2.1's copies of the two data sets.

Run once, with the folder holding scikit-learn's files as its argument (from the Debian package python3-sklearn,
/usr/lib/python3/dist-packages/sklearn/datasets/data/, or a scikit-learn checkout's sklearn/datasets/data/):

    python3 convert.py /path/to/sklearn/datasets/data

It copies every value's text unchanged (only the diabetes targets, stored as 1.510000000000000000e+02, are written
as whole numbers after checking that they are whole), then reads the written files back and checks the row counts
and every value against the originals. Standard library only.
"""
import csv
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# scikit-learn's load_breast_cancer().feature_names, in column order: the mean, the standard error ("error") and the
# worst value of ten measurements of the cell nuclei.
MEASUREMENTS = ["radius", "texture", "perimeter", "area", "smoothness", "compactness", "concavity",
                "concave points", "symmetry", "fractal dimension"]
CANCER_FEATURES = ([f"mean {m}" for m in MEASUREMENTS] + [f"{m} error" for m in MEASUREMENTS]
                   + [f"worst {m}" for m in MEASUREMENTS])
DIABETES_FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]


def convert_cancer(source):
    with open(os.path.join(source, "breast_cancer.csv"), newline="") as f:
        rows = list(csv.reader(f))
    # scikit-learn's first line: sample count, feature count, then the class names by target value.
    samples, features, *class_names = rows[0]
    samples, features = int(samples), int(features)
    assert class_names == ["malignant", "benign"], class_names
    assert features == len(CANCER_FEATURES)
    data = rows[1:]
    assert len(data) == samples == 569, len(data)
    out = os.path.join(HERE, "breast_cancer.csv")
    with open(out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(CANCER_FEATURES + ["diagnosis"])
        for row in data:
            assert len(row) == features + 1
            writer.writerow(row[:features] + [class_names[int(row[features])]])

    with open(out, newline="") as f:
        back = list(csv.reader(f))
    assert back[0] == CANCER_FEATURES + ["diagnosis"]
    assert len(back) - 1 == samples
    for original, written in zip(data, back[1:]):
        assert [float(v) for v in original[:features]] == [float(v) for v in written[:features]]
        assert class_names[int(original[features])] == written[features]
    counts = {name: sum(1 for r in back[1:] if r[-1] == name) for name in class_names}
    print(f"breast_cancer.csv: {len(back) - 1} samples, {features} features, {counts}")


def convert_diabetes(source):
    with open(os.path.join(source, "diabetes_data_raw.txt")) as f:
        data = [line.split() for line in f if line.strip()]
    with open(os.path.join(source, "diabetes_target.txt")) as f:
        targets = [float(line) for line in f if line.strip()]
    assert len(data) == len(targets) == 442, (len(data), len(targets))
    assert all(len(row) == len(DIABETES_FEATURES) for row in data)
    assert all(t == math.floor(t) for t in targets)
    out = os.path.join(HERE, "diabetes.csv")
    with open(out, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(DIABETES_FEATURES + ["progression"])
        for row, target in zip(data, targets):
            writer.writerow(row + [str(int(target))])

    with open(out, newline="") as f:
        back = list(csv.reader(f))
    assert back[0] == DIABETES_FEATURES + ["progression"]
    assert len(back) - 1 == len(data)
    for original, target, written in zip(data, targets, back[1:]):
        assert [float(v) for v in original] == [float(v) for v in written[:-1]]
        assert float(written[-1]) == target
    print(f"diabetes.csv: {len(back) - 1} samples, {len(DIABETES_FEATURES)} features, "
          f"target {min(targets):g} to {max(targets):g}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    convert_cancer(sys.argv[1])
    convert_diabetes(sys.argv[1])
