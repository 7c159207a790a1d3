from sinelib.tables import experiment_rows, to_markdown, to_text


def test_registry_table_in_seed_units():
    rows = experiment_rows()
    assert len(rows) == 1 + 8
    header = rows[0]
    exp51 = dict(zip(header, rows[-1]))
    assert exp51["lr"] == "0.005, x0.1 every 250000 examples"
    assert exp51["budget (examples / steps)"] == "300000 / 6000"
    assert exp51["target"] == "<= 0.2"
    exp4 = dict(zip(header, rows[5]))
    assert exp4["extra"] == "static_rnn, clip +-0.5" and exp4["cells"] == "1 x 500"


def test_markdown_and_text_layouts():
    rows = [["a", "b|c"], ["1", "22"]]
    assert to_markdown(rows).splitlines() == ["| a | b\\|c |", "|---|---|", "| 1 | 22 |"]
    assert to_text(rows).splitlines() == ["a  b|c", "-  ---", "1  22"]
