import pytest

from sinelib.study.tables import experiment_rows, to_markdown, to_text


def test_registry_table_in_seed_units():
    rows = experiment_rows()
    assert len(rows) == 1 + 9
    header = rows[0]
    exp51 = dict(zip(header, rows[-2]))
    assert exp51["lr"] == "0.005, x0.1 every 250000 examples"
    assert exp51["budget (examples / steps)"] == "300000 / 6000"
    assert exp51["target"] == "<= 0.2"
    exp4 = dict(zip(header, rows[5]))
    assert exp4["extra"] == "static_rnn, clip +-0.5" and exp4["cells"] == "1 x 500"
    exp6 = dict(zip(header, rows[-1]))
    assert exp6["extra"] == "dynamic_rnn, GRU, batch 64, cap 1000000 examples"
    assert exp6["budget (examples / steps)"] == "6400 / 100"


def test_markdown_and_text_layouts():
    rows = [["a", "b|c"], ["1", "22"]]
    assert to_markdown(rows).splitlines() == ["| a | b\\|c |", "|---|---|", "| 1 | 22 |"]
    assert to_text(rows).splitlines() == ["a  b|c", "-  ---", "1  22"]


@pytest.mark.shipped
def test_quote_rows_put_every_original_number_beside_ours():
    from sinelib.study.tables import quote_rows

    rows = quote_rows()
    header = rows[0]
    entries = [dict(zip(header, row)) for row in rows[1:]]
    assert [e["experiment"] for e in entries] == [
        "1 (exp1)", "2 (exp2)", "3 (exp3)", "3.1 (exp3-1)", "4 (exp4)", "4 (exp4)", "5 (exp5)",
        "5 (small) (exp5-small)", "5.1 (exp5-1)", "6 (exp6)"]
    exp3 = entries[2]
    assert exp3["original's loss"] == "0.177742" and exp3["original's per-point MSE"] == "3.55e-03"
    assert exp3["original's examples / steps"] == "<= 500000 / 10000"
    assert entries[6]["original's examples / steps"] == "375000 / 7500"
    assert entries[5]["the original quotes"] == "lowest loss 0.069027"
    assert entries[9]["the original quotes"] == "never below 0.3"
    assert all(e["verdict"] in ("holds", "holds on the minibatch only", "does not hold")
               for e in entries)


@pytest.mark.shipped
def test_spread_rows_and_the_ledger_column():
    from sinelib.study.analysis import seed_spread
    from sinelib.study.records import RunRecord
    from sinelib.study.tables import ledger_rows, spread_rows, spread_text
    from sinelib import get_experiment, load_manifest

    exp = get_experiment("exp3")
    runs = [RunRecord(exp, seed, 10, 500, reason, {"loss": loss}, [])
            for seed, loss, reason in ((0, 0.2, "budget"), (1, 0.1, "budget"), (2, 0.3, "cap"))]
    rows = spread_rows({"exp3": runs})
    entry = dict(zip(rows[0], rows[1]))
    assert entry["seeds"] == "0, 1, 2" and entry["held-out mean ± std"] == "0.2 ± 0.1"
    assert entry["min–max"] == "0.1–0.3" and entry["per seed (0, 1, ...)"] == "0.2, 0.1, 0.3"
    assert entry["stopped by"] == "budget x2, cap x1" and entry["original's loss"] == "0.177742"
    assert spread_text(seed_spread([0.2, 0.1, 0.3])) == "0.2 ± 0.1 (0.1–0.3, 3 seeds)"
    assert spread_text(None) == "-"
    ledger = ledger_rows({"exp3": load_manifest("exp3")}, {"exp3": seed_spread([0.2])})
    assert ledger[0][3] == "held-out over seeds: mean ± std (min–max)"
    assert ledger[1][3] == spread_text(seed_spread([0.2]))
