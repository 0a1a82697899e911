"""The benchmark's smoke run: structure and finite positive figures, never timing thresholds."""

import json
import math

import pytest

from genai_lessons import bench, cli

MODELS = {"GPT (lesson 5)", "DCGAN (lesson 3)", "VAE (lesson 4)", "diffusion (lesson 7)"}


@pytest.fixture(scope="module")
def report():
    return bench.run(quick=True, others=False)


def _positive(value):
    return isinstance(value, float) and math.isfinite(value) and value > 0


def test_the_quick_run_measures_every_model_on_this_backend(report):
    import keras

    (result,) = report["results"]
    assert result["backend"] == keras.backend.backend()
    assert {row["model"] for row in result["rows"]} == MODELS
    assert _positive(result["matmul_gflops"]) and _positive(result["matmul_gflops_per_cpu_second"])
    for mfu in (result["gpt_mfu"], result["gpt_mfu_cpu"]):
        assert set(mfu) == {"ours", "reference"} and all(_positive(v) for v in mfu.values())
    for row in result["rows"]:
        sides = ["ours", "reference"] if row["model"] != "diffusion (lesson 7)" else ["ours"]
        assert [side for side in ("ours", "reference") if side in row] == sides
        for side in sides:
            assert _positive(row[side]["ms"]) and _positive(row[side]["cpu_ms"])
            assert row[side]["params"] > 0
        if "reference" in row:
            assert row["ratio"] == pytest.approx(row["ours"]["ms"] / row["reference"]["ms"])
            assert _positive(row["cpu_ratio"])
    assert len(report["load_average"]["before"]) == 3


def test_the_reference_models_match_the_course_models_in_size(report):
    for row in report["results"][0]["rows"]:
        if "reference" in row:  # within 10%: the same layer sizes, small differences of design
            ours, reference = row["ours"]["params"], row["reference"]["params"]
            assert abs(ours - reference) / ours < 0.1, (row["model"], ours, reference)


def test_the_markdown_table_has_a_row_per_model_and_the_json_round_trips(report, tmp_path):
    json_path, md_path = bench.write(report, tmp_path)
    assert json.loads(json_path.read_text()) == json.loads(json.dumps(report))
    table = [line for line in md_path.read_text().splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(MODELS)  # header and one row per model
    assert "load average" in md_path.read_text()
    assert "MFU ours" in md_path.read_text()


def test_gpt_flops_follow_the_closed_form():
    # One block's matmuls per token: q, k, v, out (4 w^2) and the MLP (8 w^2), each 2 FLOPs
    # per multiply-add; attention 2 * 2 * length * width; times 3 for forward and backward.
    flops = bench.gpt_step_flops(batch=1, vocab_size=10, context=4, width=8, num_layers=1)
    assert flops == 3 * 4 * (24 * 64 + 4 * 4 * 8 + 2 * 8 * 10)


def test_the_command_line_offers_bench_with_its_options():
    args = cli.build_parser().parse_args(["bench", "--quick", "--this-backend"])
    assert args.quick and args.this_backend and args.handler is cli._bench
