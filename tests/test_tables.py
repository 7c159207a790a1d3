import pytest

from sinelib.study.tables import experiment_rows

from sinelib.plumbing.tables import to_markdown, to_text


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
    from made_up_runs import made_up_run
    from sinelib.study.analysis import seed_spread
    from sinelib.study.tables import PORT, TF1_GRAPH, ledger_rows, spread_rows, spread_text
    from sinelib import load_manifest

    # exp3 quotes 0.177742 at the end of its 500000 examples (100 rows of 5000).
    runs = [made_up_run("exp3", [1.0] * 99 + [last], {99: loss}, stop_reason=reason, seed=seed)
            for seed, loss, last, reason in ((0, 0.2, 0.15, "budget"), (1, 0.1, 0.3, "budget"),
                                             (2, 0.3, 0.4, "cap"))]
    graph = [made_up_run("exp3", [1.0] * 99 + [0.5], {99: 0.5}, seed=3)]
    rows = spread_rows({"exp3": runs}, {"exp3": graph, "exp2": graph})
    assert len(rows) == 3  # the graph's rows only beside a port's
    port, tf1 = (dict(zip(rows[0], row)) for row in rows[1:])
    assert port["implementation"] == PORT and tf1["implementation"] == TF1_GRAPH
    assert port["seeds"] == "0, 1, 2" and port["held-out mean ± std"] == "0.2 ± 0.1"
    assert port["min–max"] == "0.1–0.3" and port["per seed (0, 1, ...)"] == "0.2, 0.1, 0.3"
    assert port["stopped by"] == "budget x2, cap x1" and port["original's loss"] == "0.177742"
    assert port["lowest displayed"] == "0.15"
    assert port["reach the original's loss: held-out · displayed"] == "1/3 · 1/3"
    assert tf1["held-out mean ± std"] == "0.5 ± -" and tf1["seeds"] == "3"
    assert tf1["reach the original's loss: held-out · displayed"] == "0/1 · 0/1"
    assert len(spread_rows({"exp3": runs})) == 2
    assert spread_text(seed_spread([0.2, 0.1, 0.3])) == "0.2 ± 0.1 (0.1–0.3, 3 seeds)"
    assert spread_text(None) == "-"
    ledger = ledger_rows({"exp3": load_manifest("exp3")}, {"exp3": seed_spread([0.2])})
    assert ledger[0][3] == "held-out over seeds: mean ± std (min–max)"
    assert ledger[1][3] == spread_text(seed_spread([0.2]))
    ledger = ledger_rows({"exp3": load_manifest("exp3")}, {"exp3": seed_spread([0.2])},
                         {"exp3": seed_spread([0.4, 0.6])})
    assert ledger[0][3:5] == ["held-out over seeds: mean ± std (min–max)",
                              "TF1 graph, held-out over seeds"]
    assert ledger[1][4] == spread_text(seed_spread([0.4, 0.6])) and len(ledger[0]) == 12
