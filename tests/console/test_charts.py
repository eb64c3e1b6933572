"""The stats page's chart layout: pure functions over counts."""

from __future__ import annotations

from sealtrail.api.console import CHART_WIDTH, bar_chart, time_chart


def test_bars_are_ranked_and_the_tail_summed() -> None:
    counts = {f"action.{i:02d}": i for i in range(1, 21)}
    chart = bar_chart("By action", counts, top=5)
    assert [b.label for b in chart.bars] == [
        "action.20",
        "action.19",
        "action.18",
        "action.17",
        "(other)",
    ]
    assert chart.bars[-1].count == sum(range(1, 17))
    assert chart.total == sum(counts.values())


def test_the_longest_bar_is_the_largest_count_and_all_fit() -> None:
    chart = bar_chart("By outcome", {"success": 40, "failure": 10, "denied": 1})
    widths = [b.width for b in chart.bars]
    assert widths == sorted(widths, reverse=True)
    assert widths[0] == 4 * widths[1]
    assert all(b.x + b.width < CHART_WIDTH for b in chart.bars)


def test_time_columns_include_the_empty_days_between() -> None:
    chart = time_chart({"2026-02-27": 3, "2026-03-02": 1}, "day")
    assert [(b.label, b.count) for b in chart.bars] == [
        ("2026-02-27", 3),
        ("2026-02-28", 0),
        ("2026-03-01", 0),
        ("2026-03-02", 1),
    ]
    assert chart.bars[1].height == 0
    assert chart.bars[0].y + chart.bars[0].height == chart.bars[3].y + chart.bars[3].height


def test_hours_are_bucketed_and_long_spans_keep_the_latest() -> None:
    chart = time_chart({"2026-01-01T00": 1, "2026-03-01T05": 2}, "hour")
    assert len(chart.bars) == 168
    assert chart.bars[-1].label == "2026-03-01T05"
    assert chart.note
    assert chart.total == 3


def test_no_counts_no_bars() -> None:
    assert time_chart({}, "day").bars == ()
    assert bar_chart("By actor", {}).bars == ()
